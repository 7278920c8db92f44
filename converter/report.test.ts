import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateManifest } from '../src/model-folder/manifest.ts';
import { convert } from './convert.ts';
import { writeFixture } from '../fixtures/fixture.ts';
import { CONFIG_DEFAULTS, parseFo1Config } from './read/config.ts';
import { Checkpoint } from './read/checkpoint.ts';
import { ConfigReads, UnknownTensorError } from './report.ts';
import { writeSafetensors } from './write/safetensors-writer.ts';

let root: string;
let ckpt: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'report-'));
  ckpt = join(root, 'ckpt');
  await writeFixture({ preset: 'tiny', out: ckpt, seed: 2, maxShardBytes: 6e6 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A copy of the checkpoint with `names` (bf16 [4]) added in a shard of their own, listed in the index. */
async function withExtraTensors(dir: string, names: string[]): Promise<string> {
  const out = join(root, dir);
  await cp(ckpt, out, { recursive: true });
  await writeSafetensors(join(out, 'model-extra.safetensors'), names.map((name) => ({ name, dtype: 'BF16' as const, shape: [4] })), () => [new Uint8Array(8)]);
  const indexPath = join(out, 'model.safetensors.index.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8'));
  for (const n of names) index.weight_map[n] = 'model-extra.safetensors';
  await writeFile(indexPath, JSON.stringify(index));
  return out;
}

describe('ConfigReads', () => {
  it('reports the leaf keys read with their values, and the keys read but absent', () => {
    const r = new ConfigReads();
    const c = r.wrap({ a: 1, nested: { b: [1, 2], c: null }, unread: 3 } as Record<string, any>);
    expect(c.a + c.nested.b.length).toBe(3);
    expect(c.nested.c ?? c.missing ?? 'default').toBe('default');
    expect(r.report()).toEqual({ read: { a: 1, 'nested.b': [1, 2] }, absent: ['missing', 'nested.c'], defaults: {} });
  });

  it('names each documented default that applied, with where it comes from', async () => {
    const config = JSON.parse(await readFile(join(ckpt, 'config.json'), 'utf8'));
    delete config.mm_roi_output_size;
    delete config.tie_word_embeddings;
    const ck = await Checkpoint.open(ckpt);
    try {
      const r = new ConfigReads(CONFIG_DEFAULTS);
      const parsed = parseFo1Config(r.wrap(config), (n) => ck.shape(n));
      expect(parsed.region.roiOutputSize).toBe(7);
      expect(parsed.text.tieWordEmbeddings).toBe(false);
      const { defaults, read } = r.report();
      expect(defaults.tie_word_embeddings).toEqual({ value: false, why: expect.stringContaining("Qwen2_5_VLConfig default (the authors' pinned version, requirements.txt") });
      expect(read.mm_use_simpleFPN_for_vt).toBe(true);
      expect(defaults.mm_use_simpleFPN_for_vt).toBeUndefined(); // read, so no default
      expect(defaults.mm_roi_output_size).toEqual({ value: 7, why: expect.stringContaining('vlm_fo1/model/omchat_arch.py L18') });
      expect(defaults.mm_use_vt_region_feature_only).toEqual({ value: false, why: expect.stringContaining('omchat_arch.py L22') });
    } finally {
      await ck.close();
    }
  });
});

describe('conversion report in model.json', () => {
  it('lists the config keys read with their values, the absent ones, and that every tensor was used', async () => {
    const { manifest, out } = await convert({ checkpoint: ckpt, out: join(root, 'plain'), dtypes: ['q4'] });
    const onDisk = validateManifest(JSON.parse(await readFile(join(out, 'model.json'), 'utf8')));
    expect(onDisk.conversion).toEqual(manifest.conversion);
    const report = manifest.conversion!;
    expect(report.config['config.json'].read).toMatchObject({ hidden_size: 64, 'vision_config.depth': 4, 'rope_scaling.mrope_section': [2, 3, 3], tie_word_embeddings: true });
    expect(report.config['config.json'].absent).toContain('text_config'); // text keys at top level, as Qwen2.5-VL writes them
    expect(Object.keys(report.config)).toEqual(['config.json', 'preprocessor_config.json', 'generation_config.json']);
    expect(report.config['generation_config.json']).toEqual({ read: { eos_token_id: [151645, 151643] }, absent: [], defaults: {} });
    expect(report.tensors.unused).toEqual([]);
    expect(report.tensors.used).toBe(report.tensors.total);
    expect(report.commit).toBeUndefined(); // a folder has no commit; a Hub repository's is its sha (convert-hub.test.ts)
  });

  it('reports a tensor known to be unused with the reason, and refuses an unknown one by name, writing no folder', async () => {
    const tied = await withExtraTensors('tied-lm-head', ['lm_head.weight']);
    const { manifest } = await convert({ checkpoint: tied, out: join(root, 'tied-out'), dtypes: ['q4'] });
    expect(manifest.conversion!.tensors.unused).toEqual([{ name: 'lm_head.weight', why: expect.stringMatching(/tie_word_embeddings is true/) }]);
    const odd = await withExtraTensors('odd', ['model.mystery_head.weight']);
    const out = join(root, 'odd-out');
    const run = convert({ checkpoint: odd, out, dtypes: ['q4'] });
    await expect(run).rejects.toThrow(UnknownTensorError);
    await expect(run).rejects.toThrow(/not known to be unused at inference: model\.mystery_head\.weight \(/);
    expect(existsSync(out)).toBe(false);
  });
});
