// The engine's model over float16 graphs (Node, wasm): a q4f16 folder's decoder declares a float16 KV cache, the
// model feeds and keeps it as float16, and decoding token by token through that cache gives the logits of one
// run over the whole sequence. (The q4f16 numerics against q4 are converter/emit/decoder.test.ts's.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../../converter/convert.ts';
import { relErr } from '../testing/close.ts';
import { ort } from '../testing/ort.ts';
import { hasShared, NO_SHARED } from '../testing/shared.ts';
import type { KvCache } from './decode/kv-cache.ts';
import { loadModelFiles } from './load/load-model.ts';
import { NodeFolder } from './load/node-folder.ts';
import { Fo1Model } from './model.ts';
import { tinyModel } from './testing/tiny-model.ts';

const never = new AbortController().signal;

describe.skipIf(!hasShared)(`Fo1Model on q4f16 graphs (tiny model) ${hasShared ? '' : NO_SHARED}`, () => {
  let dir: string;
  let model: Fo1Model;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fo1-q4f16-'));
    await convert({ checkpoint: (await tinyModel()).checkpoint, out: join(dir, 'model'), dtypes: ['q4f16'] });
    const files = await loadModelFiles(new NodeFolder(join(dir, 'model')), undefined, () => {}, never);
    expect(files.dtype).toBe('q4f16');
    model = await Fo1Model.create(ort, files.manifest, files.graphs, { backend: 'wasm', reason: 'test' }, () => {});
  }, 120_000);

  afterAll(async () => {
    await model?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Prefill of a few tokens, then greedy steps: the logits of every run, and the last cache. */
  const prompt = [1, 5, 9, 2, 7];
  /** Text M-RoPE ids: the same position on all three axes, (3, n). */
  const positions = (from: number, n: number) => Int32Array.from({ length: 3 * n }, (_, i) => from + (i % n));

  async function greedy(steps: number): Promise<{ logits: Float32Array[]; ids: number[]; cache: KvCache }> {
    let res = await model.decode(await model.embedText(prompt), positions(0, prompt.length), model.emptyCache());
    const logits = [res.logits];
    const ids: number[] = [];
    for (let s = 0; s < steps; s++) {
      ids.push(argmax(res.logits));
      const next = await model.decode(await model.embedText([ids[s]]), positions(prompt.length + s, 1), res.cache);
      res.cache.dispose();
      res = next;
      logits.push(res.logits);
    }
    return { logits, ids, cache: res.cache };
  }

  function argmax(a: Float32Array): number {
    let best = 0;
    for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
    return best;
  }

  it('keeps a float16 KV cache, and token-by-token logits equal one run over the whole sequence', async () => {
    const steps = 3;
    const { logits, ids, cache } = await greedy(steps);
    expect(Object.values(cache.prepare(1).feeds).every((t) => t.type === 'float16')).toBe(true);
    cache.dispose();
    // Each step's logits against one run over prompt + the tokens so far (its last position). Both compute in
    // float16; they differ only in summation order and where the float16 KV rounding happens, ≤ 1e-2 of the max
    // (converter/emit/decoder.test.ts's float16 bound).
    for (let s = 1; s <= steps; s++) {
      const seq = [...prompt, ...ids.slice(0, s)];
      const once = await model.decode(await model.embedText(seq), positions(0, seq.length), model.emptyCache());
      once.cache.dispose();
      expect(relErr(logits[s], once.logits), `step ${s}`).toBeLessThanOrEqual(1e-2);
      expect(argmax(once.logits)).toBe(argmax(logits[s]));
    }
  });
});
