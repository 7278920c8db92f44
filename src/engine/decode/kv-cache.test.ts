// KvCache views over the two store kinds, driven through the real fo1-golden decoder graph on the wasm EP.
// FreshKvStore is the wasm path itself. GpuKvStore needs WebGPU, which Node lacks; its protocol — capacity-long past buffers, an attention mask of the valid length,
// capacity-long presents, rows written in place — is exercised here by CapacityStore, the same protocol over
// CPU arrays (ORT's CPU GQA cannot share the buffer, so the present rows are copied back in place).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../onnx/graph.ts';
import { emitDecoder } from '../../../converter/emit/decoder.ts';
import { embedTokens, loadDecoderWeights } from '../../../reference/decoder.ts';
import { loadQwenGolden, type QwenGolden } from '../../../reference/decoder-golden.ts';
import { concat, slice } from '../../../reference/tensor.ts';
import { expectClose } from '../../testing/close.ts';
import { f32, i64, ort } from '../../testing/ort.ts';
import { hasShared, NO_SHARED } from '../../testing/shared.ts';
import { kvSlots, pastName, presentName } from '../../model-folder/graph-io.ts';
import { FreshKvStore, KvCache, type KvRun, type KvShape, type KvStore } from './kv-cache.ts';

/** Share-buffer protocol over CPU arrays (1, kvh, capacity, hd), capacity fixed at construction. */
class CapacityStore implements KvStore {
  private readonly buffers: Float32Array[];
  private range: [number, number] = [0, 0];
  constructor(private readonly shape: KvShape, private readonly capacity: number) {
    this.buffers = kvSlots(shape.layers).map(() => new Float32Array(shape.kvHeads * capacity * shape.headDim));
  }
  prepare(length: number, total: number): KvRun {
    if (total > this.capacity) throw new Error(`capacity ${this.capacity} < ${total}`);
    this.range = [length, total];
    const dims = [1, this.shape.kvHeads, this.capacity, this.shape.headDim];
    return { feeds: Object.fromEntries(kvSlots(this.shape.layers).map(([i, kind], j) => [pastName(i, kind), f32(this.buffers[j], dims)])), fetches: null };
  }
  commit(outputs: Record<string, ort.Tensor>): KvStore {
    const { kvHeads, headDim } = this.shape;
    const [from, to] = this.range;
    kvSlots(this.shape.layers).forEach(([i, kind], j) => {
      const present = outputs[presentName(i, kind)];
      expect(present.dims).toEqual([1, kvHeads, this.capacity, headDim]); // GQA: max(total, past length)
      const data = present.data as Float32Array;
      for (let h = 0; h < kvHeads; h++) {
        const at = (h * this.capacity + from) * headDim;
        this.buffers[j].set(data.subarray(at, at + (to - from) * headDim), at);
      }
    });
    return this;
  }
  release(): void {}
}

describe.skipIf(!hasShared)(`KvCache on the fo1-golden decoder ${hasShared ? '' : NO_SHARED}`, () => {
  let G: QwenGolden;
  let session: ort.InferenceSession;
  let embeds: Float32Array; // (S + n, H): the prompt, then the greedy tokens
  let shape: KvShape;

  beforeAll(async () => {
    G = await loadQwenGolden();
    const g = new Graph('decoder');
    await emitDecoder(g, { w: G.weights, format: 'fp32', blockSize: 32, minQuantK: 0 }, G.cfg);
    session = await ort.InferenceSession.create(g.encode(), { executionProviders: ['wasm'] });
    embeds = concat([G.inputsEmbeds, embedTokens(await loadDecoderWeights(G.weights, G.cfg), G.generatedIds)], 0).data;
    shape = { layers: G.cfg.numLayers, kvHeads: G.cfg.numKvHeads, headDim: G.cfg.headDim };
  });
  afterAll(async () => {
    await session?.release();
    await G?.weights.close();
  });

  /** Positions [from, to) after `cache` (as Fo1Model.decode feeds them) → last logits row and the longer cache. */
  async function run(cache: KvCache, from: number, to: number): Promise<{ logits: Float32Array; cache: KvCache }> {
    expect(cache.length).toBe(from);
    const H = G.cfg.hiddenSize;
    const kv = cache.prepare(to - from);
    const out = await session.run({
      inputs_embeds: f32(embeds.subarray(from * H, to * H), [1, to - from, H]),
      attention_mask: i64(new Array(to).fill(1), [1, to]),
      position_ids: i64(slice(G.positionsExtended, 1, from, to).data, [3, 1, to - from]),
      num_logits_to_keep: i64([1], []),
      ...kv.feeds,
    });
    return { logits: out.logits.data as Float32Array, cache: cache.extendedBy(out, to - from) };
  }

  const goldenRow = (row: number) => slice(G.logitsExtended, 0, row, row + 1).data;
  const argmax = (x: Float32Array) => x.reduce((best, v, i) => (v > x[best] ? i : best), 0);
  const stores: Record<string, () => KvStore> = {
    fresh: () => FreshKvStore.empty(shape.layers, () => f32(new Float32Array(0), [1, shape.kvHeads, 0, shape.headDim])),
    capacity: () => new CapacityStore(shape, 128),
  };

  for (const [name, make] of Object.entries(stores)) {
    it(`${name}: chunked prefill + one token at a time gives the golden logits and greedy steps`, async () => {
      const S = G.inputsEmbeds.shape[0];
      const splits = [0, Math.floor(S / 2), S, ...G.generatedIds.map((_, i) => S + i + 1)];
      let cache = KvCache.empty(make());
      const ids: number[] = [];
      for (let c = 1; c < splits.length; c++) {
        const r = await run(cache, splits[c - 1], splits[c]);
        expectClose(r.logits, goldenRow(splits[c] - 1), 1e-4, `logits_extended[${splits[c] - 1}]`);
        if (splits[c] >= S && ids.length < G.generatedIds.length) ids.push(argmax(r.logits));
        cache.dispose();
        cache = r.cache;
      }
      cache.dispose();
      expect(ids).toEqual(G.generatedIds);
    });

    it(`${name}: a follow-up from a kept prefix equals the first run; longer views of a shared store go stale`, async () => {
      const S = G.inputsEmbeds.shape[0];
      const half = Math.floor(S / 2);
      const prefix = (await run(KvCache.empty(make()), 0, half)).cache;
      const first = await run(prefix, half, S);
      const step = await run(first.cache, S, S + 1);
      const again = await run(prefix, half, S); // the follow-up: overwrites what `first` and `step` hold
      expectClose(again.logits, first.logits, 1e-6, 'follow-up logits');
      const shared = name === 'capacity';
      for (const c of [first.cache, step.cache]) {
        if (shared) expect(() => c.prepare(1)).toThrow(/overwritten by a run from a shorter cache/);
        else expect(() => c.prepare(1)).not.toThrow();
      }
      const next = await run(again.cache, S, S + 1);
      expectClose(next.logits, goldenRow(S), 1e-4, 'the step after the follow-up');
      for (const c of [prefix, first.cache, step.cache, again.cache, next.cache]) c.dispose();
      expect(() => prefix.prepare(1)).toThrow(/disposed/);
    });
  }
});
