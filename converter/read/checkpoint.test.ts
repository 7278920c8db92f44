import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixture } from '../../fixtures/fixture.ts';
import { planTensors, PRESETS } from '../../fixtures/presets.ts';
import { Checkpoint } from './checkpoint.ts';
import { ConfigError, parseFo1Config } from './config.ts';

let root: string;
let sharded: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ckpt-'));
  sharded = join(root, 'sharded');
  // Small shards so the tiny preset spreads over several files, like the release's index.
  await writeFixture({ preset: 'tiny', out: sharded, seed: 7, maxShardBytes: 4e6 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function copyWith(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, name);
  await cp(sharded, dir, { recursive: true });
  await edit(dir);
  return dir;
}

async function editIndex(dir: string, edit: (map: Record<string, string>) => void): Promise<void> {
  const path = join(dir, 'model.safetensors.index.json');
  const index = JSON.parse(await readFile(path, 'utf8'));
  edit(index.weight_map);
  await writeFile(path, JSON.stringify(index));
}

describe('Checkpoint (sharded folder)', () => {
  it('opens every tensor of the plan across shards, with shapes from the headers', async () => {
    const ck = await Checkpoint.open(sharded);
    try {
      const plan = planTensors(PRESETS.tiny);
      expect(new Set(ck.names())).toEqual(new Set(plan.map((t) => t.name)));
      const shardFiles = JSON.parse(await readFile(join(sharded, 'model.safetensors.index.json'), 'utf8')).weight_map;
      expect(new Set(Object.values(shardFiles)).size).toBeGreaterThan(1);
      for (const t of plan) expect(ck.shape(t.name)).toEqual(t.shape);
      const norm = await ck.get('model.norm.weight', [PRESETS.tiny.text.hidden]);
      expect(Array.from(norm.data).every((v) => v === 1)).toBe(true); // norms initialise to 1, stored exactly in bf16
      const q = await ck.get('model.layers.1.self_attn.q_proj.weight');
      const bound = 1 / Math.sqrt(PRESETS.tiny.text.hidden);
      expect(Math.max(...Array.from(q.data, Math.abs))).toBeLessThanOrEqual(bound * 1.01);
      expect(ck.totalBytes()).toBe(plan.reduce((a, t) => a + 2 * t.shape.reduce((x, y) => x * y, 1), 0));
    } finally {
      await ck.close();
    }
  });

  it('names the tensor and both shapes for a mis-shaped or missing tensor', async () => {
    const ck = await Checkpoint.open(sharded);
    try {
      await expect(ck.get('model.norm.weight', [65])).rejects.toThrow(/model-0000\d-of-0000\d\.safetensors: tensor model\.norm\.weight has shape \[64\], expected \[65\]/);
      await expect(ck.get('model.layers.9.mlp.up_proj.weight', [128, 64])).rejects.toThrow(/missing tensor model\.layers\.9\.mlp\.up_proj\.weight \(expected shape \[128,64\]\)/);
    } finally {
      await ck.close();
    }
  });

  it('checks every weight_map entry against its shard', async () => {
    const extra = await copyWith('extra', (d) => editIndex(d, (m) => (m['model.ghost.weight'] = m['model.norm.weight'])));
    await expect(Checkpoint.open(extra)).rejects.toThrow(/index\.json: weight_map lists model\.ghost\.weight in model-0000\d-of-0000\d\.safetensors, but .* has no such tensor/);
    const moved = await copyWith('moved', (d) =>
      editIndex(d, (m) => {
        const other = Object.values(m).find((s) => s !== m['model.norm.weight'])!;
        m['model.norm.weight'] = other;
      }),
    );
    await expect(Checkpoint.open(moved)).rejects.toThrow(/weight_map puts model\.norm\.weight in .*, but it is in /);
    const missing = await copyWith('missing', async (d) => rm(join(d, 'model-00001-of-0000' + (await shardCount(d)) + '.safetensors')));
    await expect(Checkpoint.open(missing)).rejects.toThrow(/shard model-00001-of-0000\d\.safetensors \(for .*\) is missing/);
    const escape = await copyWith('escape', (d) => editIndex(d, (m) => (m['model.norm.weight'] = '../x.safetensors')));
    await expect(Checkpoint.open(escape)).rejects.toThrow(/weight_map\.model\.norm\.weight = "\.\.\/x\.safetensors" is not a \.safetensors file name/);
  });

  it('rejects folders that are not checkpoints', async () => {
    const noConfig = await copyWith('noconfig', (d) => rm(join(d, 'config.json')));
    await expect(Checkpoint.open(noConfig)).rejects.toThrow(/no config\.json/);
    const badJson = await copyWith('badjson', (d) => writeFile(join(d, 'config.json'), '{"hidden_size": '));
    await expect(Checkpoint.open(badJson)).rejects.toThrow(/config\.json: not valid JSON/);
    const noWeights = await copyWith('noweights', (d) => rm(join(d, 'model.safetensors.index.json')));
    await expect(Checkpoint.open(noWeights)).rejects.toThrow(/neither model\.safetensors nor model\.safetensors\.index\.json/);
  });

  it('parses the fixture config against its tensors, and names an unsupported config value', async () => {
    const ck = await Checkpoint.open(sharded);
    try {
      const cfg = parseFo1Config(ck.config, (n) => ck.shape(n));
      expect(cfg.davit.dimEmbed).toEqual(PRESETS.tiny.davit.dims);
      expect(cfg.davit.depths).toEqual(PRESETS.tiny.davit.depths);
      expect(cfg.vision.fullattBlockIndexes).toEqual(PRESETS.tiny.vision.fullatt);
      const bad = { ...(ck.config as object), mm_projector_aux_type: 'conv3x3' };
      expect(() => parseFo1Config(bad, (n) => ck.shape(n))).toThrow(ConfigError);
      expect(() => parseFo1Config(bad, (n) => ck.shape(n))).toThrow(/mm_projector_aux_type = "conv3x3"/);
      const withProjector = (n: string) => (n === 'model.mm_projector.0.weight' ? [64, 64] : ck.shape(n));
      expect(() => parseFo1Config(ck.config, withProjector)).toThrow(/mm_projector_type = "identity", but the checkpoint has model\.mm_projector\.0\.weight/);
      // A region encoder on the ViT alone (the authors' use_vt_region_feature_only) is refused by name, not ignored.
      expect(() => parseFo1Config({ ...(ck.config as object), mm_use_vt_region_feature_only: true }, (n) => ck.shape(n))).toThrow(/unsupported mm_use_vt_region_feature_only = true/);
      expect(parseFo1Config({ ...(ck.config as object), mm_use_vt_region_feature_only: false }, (n) => ck.shape(n)).region.roiOutputSize).toBe(7);
      for (const size of [0, 7.5, -1])
        expect(() => parseFo1Config({ ...(ck.config as object), mm_roi_output_size: size }, (n) => ck.shape(n))).toThrow(`mm_roi_output_size = ${size} is not a whole number`);
    } finally {
      await ck.close();
    }
  });
});

async function shardCount(dir: string): Promise<number> {
  const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
  return new Set(Object.values(index.weight_map)).size;
}
