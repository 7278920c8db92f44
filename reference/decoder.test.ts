import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, relErr } from '../src/testing/close.ts';
import { hasShared, NO_SHARED } from '../src/testing/shared.ts';
import { argmaxRow, decoderForward, embedTokens, KVCache, loadDecoderWeights, type DecoderWeights } from './decoder.ts';
import { loadQwenGolden, positionsAt, type QwenGolden } from './decoder-golden.ts';
import { concat, slice } from './tensor.ts';

describe.skipIf(!hasShared)(`reference decoder vs fo1-golden qwen/ ${hasShared ? '' : NO_SHARED}`, () => {
  let G: QwenGolden;
  let W: DecoderWeights;
  beforeAll(async () => {
    G = await loadQwenGolden();
    W = await loadDecoderWeights(G.weights, G.cfg);
  });
  afterAll(() => G?.weights.close());

  it('prefill logits match the reference code within 1e-4', () => {
    const logits = decoderForward(W, G.cfg, G.inputsEmbeds, G.positions, new KVCache(G.cfg.numLayers));
    expect(logits.shape).toEqual(G.logits.shape);
    expectClose(logits.data, G.logits.data, 1e-4, 'logits');
  });

  it('reproduces the greedy steps through the KV cache (ids and logits_extended)', () => {
    const S = G.inputsEmbeds.shape[0];
    const cache = new KVCache(G.cfg.numLayers);
    let logits = decoderForward(W, G.cfg, G.inputsEmbeds, G.positions, cache);
    let next = argmaxRow(logits, S - 1);
    const ids: number[] = [];
    for (let step = 0; step < G.generatedIds.length; step++) {
      ids.push(next);
      logits = decoderForward(W, G.cfg, embedTokens(W, [next]), positionsAt(G.positionsExtended, S + step, S + step + 1), cache);
      expect(cache.length).toBe(S + step + 1);
      expectClose(logits.data, slice(G.logitsExtended, 0, S + step, S + step + 1).data, 1e-4, `logits_extended[${S + step}]`);
      next = argmaxRow(logits, 0);
    }
    expect(ids).toEqual(G.generatedIds);
  });

  it('step-by-step logits with the KV cache equal the full-sequence logits', () => {
    const n = G.generatedIds.length;
    const S = G.inputsEmbeds.shape[0];
    const embeds = concat([G.inputsEmbeds, embedTokens(W, G.generatedIds)], 0); // (S + n, H)
    const full = decoderForward(W, G.cfg, embeds, G.positionsExtended, new KVCache(G.cfg.numLayers));
    // Prefill in two chunks, then one token at a time.
    const cache = new KVCache(G.cfg.numLayers);
    const split = [0, Math.floor(S / 2), S, ...Array.from({ length: n }, (_, i) => S + i + 1)];
    const rows = split.slice(1).map((end, i) => decoderForward(W, G.cfg, slice(embeds, 0, split[i], end), positionsAt(G.positionsExtended, split[i], end), cache));
    const stepwise = concat(rows, 0);
    expect(relErr(stepwise.data, full.data)).toBeLessThanOrEqual(1e-5);
    expectClose(full.data, G.logitsExtended.data, 1e-4, 'full-sequence logits_extended');
  });
});
