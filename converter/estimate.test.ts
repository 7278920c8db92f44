// The size estimate the page shows before converting, against what a conversion of the tiny fixture writes.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixture } from '../fixtures/fixture.ts';
import { manifestFiles } from '../src/model-folder/manifest.ts';
import { convert } from './convert.ts';
import { countParams, estimateQ4Folder } from './estimate.ts';
import { Checkpoint } from './read/checkpoint.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'estimate-'));
  await writeFixture({ preset: 'tiny', out: join(root, 'ckpt'), seed: 3 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('estimateQ4Folder', () => {
  it('is within 10% of the folder that q4 and q4f16 conversions of the tiny fixture write', async () => {
    const ck = await Checkpoint.open(join(root, 'ckpt'));
    const copied = (await stat(join(root, 'ckpt', 'tokenizer.json'))).size + (await stat(join(root, 'ckpt', 'tokenizer_config.json'))).size;
    const estimate = estimateQ4Folder(ck, copied).bytes;
    for (const dtype of ['q4', 'q4f16'] as const) {
      const { manifest } = await convert({ checkpoint: join(root, 'ckpt'), out: join(root, dtype), dtypes: [dtype] });
      const written = manifestFiles(manifest).reduce((n, f) => n + f.bytes, 0);
      expect(Math.abs(estimate - written) / written, `${dtype}: estimate ${estimate}, written ${written}`).toBeLessThan(0.1);
    }
    await ck.close();
  }, 120_000);

  it('counts int4 blocks for 2-D weights and float32 for the rest', () => {
    const shapes: Record<string, number[]> = { 'a.weight': [4, 64], 'a.bias': [4], 'n.weight': [8, 16] };
    const ck = { names: () => Object.keys(shapes), shape: (n: string) => shapes[n] };
    expect(estimateQ4Folder(ck, 100)).toEqual({ bytes: 100 + 4 * 2 * 20.5 + 4 * 4 + 8 * 16 * 4, largestTensorBytes: 8 * 16 * 4 });
    expect(countParams(ck)).toBe(4 * 64 + 4 + 8 * 16);
  });
});
