// Test support (Node only): one fo1-golden region fixture (region-ln-off/, region-ln-on/, …) opened
// through the converter's own readers — weights, tensors, and the typed config built with
// parseDavit/parseRegion from the fixture's config.json (whose region keys are the checkpoint's keys).

import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { parseDavit, parseRegion } from '../converter/read/config.ts';
import type { DavitConfig, RegionConfig } from '../src/model-folder/config.ts';
import { hasShared, sharedAsset } from '../src/testing/shared.ts';
import type { Tensor } from './tensor.ts';

/** The parts of a region fixture's config.json the tests read. */
export interface RegionGoldenJson {
  work_image_wh: [number, number];
  aux_input_hw: [number, number];
  qwen_resized_hw: [number, number];
  vit_grid_hw: [number, number];
  boxes_work_xyxy: [number, number, number, number][];
  davit: Record<string, unknown>;
  davit_layernorm_eps: number;
  vision_config: { hidden_size: number; patch_size: number };
  simple_fpn: { out_channels: number; strides: number[]; layernorm_eps: number };
  hidden_size: number;
  aux_spatial_scale: number;
  vt_spatial_scale: number;
  roi_cases: { outputs: Record<string, { spatial_scale: number; output_size: number }> };
  [key: string]: unknown;
}

export interface RegionGolden {
  json: RegionGoldenJson;
  weights: Checkpoint;
  tensors: Checkpoint;
  davit: DavitConfig;
  region: RegionConfig;
  patchSize: number;
  get(name: string): Promise<Tensor>;
  close(): Promise<void>;
}

/** Every region fixture folder in fo1-golden (any folder whose config.json has roi cases), or [] without ../shared. */
export function regionGoldenDirs(): string[] {
  if (!hasShared) return [];
  const root = sharedAsset('fo1-golden');
  return readdirSync(root)
    .map((d) => join(root, d))
    .filter((d) => existsSync(join(d, 'config.json')) && existsSync(join(d, 'weights.safetensors')) && d.includes('region'))
    .sort();
}

export async function openRegionGolden(dir: string): Promise<RegionGolden> {
  const json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as RegionGoldenJson;
  const weights = await Checkpoint.openFile(join(dir, 'weights.safetensors'), json);
  const tensors = await Checkpoint.openFile(join(dir, 'tensors.safetensors'));
  const shapeOf = (n: string) => weights.shape(n);
  const davit = parseDavit({ mm_vision_tower_aux: 'davit-large', davit_config: json.davit }, shapeOf);
  // The fixture carries the checkpoint's region keys at top level; the region-token flag is implied.
  const region = parseRegion({ ...json, mm_use_region_index_token: true }, shapeOf, davit);
  return {
    json, weights, tensors, davit, region,
    patchSize: json.vision_config.patch_size,
    get: (name) => tensors.get(name),
    close: async () => { await weights.close(); await tensors.close(); },
  };
}

/** A golden (K, 4) box tensor as plain rows. */
export function boxRows(t: Tensor): [number, number, number, number][] {
  return Array.from({ length: t.shape[0] }, (_, k) => Array.from(t.data.subarray(k * 4, k * 4 + 4)) as [number, number, number, number]);
}
