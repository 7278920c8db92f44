// Chunked prefill is a schedule, not a different computation: the fo1-golden decoder (fp32 graph, wasm EP) run
// over the whole prompt in one run and in chunks of several forced lengths gives the same last logits and a
// cache that continues to the golden next-step logits. This is what the engine does on adapters where
// long-run attention fails its self-check (attention-check.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../onnx/graph.ts';
import { emitDecoder } from '../../../converter/emit/decoder.ts';
import { embedTokens, loadDecoderWeights } from '../../../reference/decoder.ts';
import { loadQwenGolden, type QwenGolden } from '../../../reference/decoder-golden.ts';
import { slice } from '../../../reference/tensor.ts';
import { expectClose } from '../../testing/close.ts';
import { f32, ort } from '../../testing/ort.ts';
import { hasShared, NO_SHARED } from '../../testing/shared.ts';
import type { Ort } from '../session.ts';
import { FLASH_PREFILL_MIN_RUN } from './attention-check.ts';
import { runDecoder, type DecoderSession } from './decoder-run.ts';
import { FreshKvStore, KvCache } from './kv-cache.ts';

describe.skipIf(!hasShared)(`runDecoder on the fo1-golden decoder ${hasShared ? '' : NO_SHARED}`, () => {
  let G: QwenGolden;
  let session: ort.InferenceSession;
  let S: number;
  let prompt: Float32Array; // (S, H)
  let next: Float32Array; // (1, H): the first greedy token
  const decoder = (maxRun: number): DecoderSession => ({ ort: ort as unknown as Ort, session, hiddenSize: G.cfg.hiddenSize, maxRun });
  const empty = () => KvCache.empty(FreshKvStore.empty(G.cfg.numLayers, () => f32(new Float32Array(0), [1, G.cfg.numKvHeads, 0, G.cfg.headDim])));
  const positions = (from: number, to: number) => Int32Array.from(slice(G.positionsExtended, 1, from, to).data);
  const goldenRow = (row: number) => slice(G.logitsExtended, 0, row, row + 1).data;

  beforeAll(async () => {
    G = await loadQwenGolden();
    const g = new Graph('decoder');
    await emitDecoder(g, { w: G.weights, format: 'fp32', blockSize: 32, minQuantK: 0 }, G.cfg);
    session = await ort.InferenceSession.create(g.encode(), { executionProviders: ['wasm'] });
    S = G.inputsEmbeds.shape[0];
    prompt = G.inputsEmbeds.data;
    next = embedTokens(await loadDecoderWeights(G.weights, G.cfg), G.generatedIds.slice(0, 1)).data;
  });
  afterAll(async () => {
    await session?.release();
    await G?.weights.close();
  });

  it('the golden prompt is longer than the longest split-reduce run, so chunking is exercised', () => {
    expect(S).toBeGreaterThan(FLASH_PREFILL_MIN_RUN - 1);
  });

  for (const maxRun of [FLASH_PREFILL_MIN_RUN - 1, 16, 7]) {
    it(`prefill in runs of ≤ ${maxRun} equals one run, and decoding continues from its cache`, async () => {
      const start = empty();
      const whole = await runDecoder(decoder(Infinity), prompt, positions(0, S), start);
      const chunked = await runDecoder(decoder(maxRun), prompt, positions(0, S), start);
      expect(chunked.cache.length).toBe(S);
      expectClose(chunked.logits, whole.logits, 1e-5, `last logits, runs of ${maxRun} vs one run`);
      expectClose(chunked.logits, goldenRow(S - 1), 1e-4, `logits[${S - 1}] vs golden`);
      const step = await runDecoder(decoder(maxRun), next, positions(S, S + 1), chunked.cache);
      expectClose(step.logits, goldenRow(S), 1e-4, `logits[${S}] after the chunked prefill`);
      // The caller's cache is left usable: a run from it again gives the same result.
      const again = await runDecoder(decoder(maxRun), prompt, positions(0, S), start);
      expectClose(again.logits, chunked.logits, 0, 'rerun from the same starting cache');
      for (const c of [whole.cache, chunked.cache, step.cache, again.cache]) c.dispose();
    });
  }

  it("a run that wants no logits returns none and the same cache: decoding continues from it to the golden step", async () => {
    const cached = await runDecoder(decoder(FLASH_PREFILL_MIN_RUN - 1), prompt, positions(0, S), empty(), 'none');
    expect(cached.logits.length).toBe(0);
    expect(cached.cache.length).toBe(S);
    const step = await runDecoder(decoder(Infinity), next, positions(S, S + 1), cached.cache);
    expectClose(step.logits, goldenRow(S), 1e-4, `logits[${S}] after a prefill without logits`);
    cached.cache.dispose();
    step.cache.dispose();
  });

  it('refuses inputs whose sizes disagree, and a run limit below one position', async () => {
    await expect(runDecoder(decoder(Infinity), prompt.subarray(1), positions(0, S), empty())).rejects.toThrow(/embedding values for \d+ positions/);
    await expect(runDecoder(decoder(Infinity), prompt, positions(0, S).subarray(1), empty())).rejects.toThrow(/not 3 × a positive count/);
    await expect(runDecoder(decoder(0), prompt, positions(0, S), empty())).rejects.toThrow(/at least 1 position/);
  });
});
