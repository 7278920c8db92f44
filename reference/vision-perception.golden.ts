// Test support: the fo1-golden fixtures that carry DaViT outputs (README: region-* folders), loaded
// through the converter's own readers. Sizes and options come from each fixture's config.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { parseDavit } from '../converter/read/config.ts';
import type { DavitConfig } from '../src/model-folder/config.ts';
import { hasShared, sharedAsset } from '../src/testing/shared.ts';
import type { Tensor } from './tensor.ts';

export interface DavitFixture {
  name: string;
  /** The fixture's config.json (its `davit` record and `davit_layernorm_eps`, among others). */
  json: { davit: Record<string, unknown>; davit_layernorm_eps?: number };
  cfg: DavitConfig;
  weights: Checkpoint;
  image: Tensor; // input.aux_image (1, 3, H, W)
  stages: Tensor[]; // output.davit_stage{0..3}
}

/** Names of the fo1-golden folders whose config has a `davit` record (empty without ../shared). */
export function davitFixtureNames(): string[] {
  if (!hasShared) return [];
  const root = sharedAsset('fo1-golden');
  return readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'config.json')))
    .filter((d) => 'davit' in JSON.parse(readFileSync(join(root, d, 'config.json'), 'utf8')))
    .sort();
}

export async function loadDavitFixture(name: string): Promise<DavitFixture> {
  const dir = sharedAsset('fo1-golden', name);
  const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const weights = await Checkpoint.openFile(join(dir, 'weights.safetensors'));
  const tensors = await Checkpoint.openFile(join(dir, 'tensors.safetensors'));
  try {
    const cfg = parseDavit({ mm_vision_tower_aux: 'davit-large', davit_config: json.davit }, (n) => weights.shape(n));
    const image = await tensors.get('input.aux_image');
    const stages = await Promise.all(cfg.dimEmbed.map((_, i) => tensors.get(`output.davit_stage${i}`)));
    return { name, json, cfg, weights, image, stages };
  } finally {
    await tensors.close();
  }
}
