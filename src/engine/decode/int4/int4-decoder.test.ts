// The int4 decoder against onnxruntime running the same decoder_model_merged_q4.onnx (the engine's own ORT
// path, decoder-run.ts), on the tiny model: prefill, KV-cached steps, chunking and cache reuse.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { ort } from '../../../testing/ort.ts';
import { relErr } from '../../../testing/close.ts';
import { loadModelFiles, type ModelFiles } from '../../load/load-model.ts';
import { NodeFolder } from '../../load/node-folder.ts';
import { tinyModel } from '../../testing/tiny-model.ts';
import { positionColumns as cols, runDecoder, type DecoderSession } from '../decoder-run.ts';
import { FreshKvStore, KvCache } from '../kv-cache.ts';
import { createDecoder } from '../create-decoder.ts';
import { OrtDecoder } from '../ort-decoder.ts';
import { Int4Decoder } from './int4-decoder.ts';
import { mulberry32, uniformFloats } from '../../../../fixtures/random.ts';

let files: ModelFiles;
let onnx: DecoderSession;
let decoder: Int4Decoder;

beforeAll(async () => {
  const { dir } = await tinyModel(['q4']);
  files = await loadModelFiles(new NodeFolder(dir), 'q4', () => {}, new AbortController().signal);
  const g = files.graphs.decoder_model_merged;
  const session = await ort.InferenceSession.create(g.graph, { executionProviders: ['wasm'], externalData: g.externalData });
  onnx = { ort, session, hiddenSize: files.manifest.config.text.hiddenSize, maxRun: Infinity };
  decoder = await Int4Decoder.load(files.manifest.config.text, g, { threads: 2, kvCapacity: 64, maxRun: 8 });
}, 120_000);

afterAll(async () => {
  decoder?.release();
  await onnx?.session.release();
});

/** Deterministic pseudo-random embeddings (S, H) and text-style M-RoPE ids from `start` (3, S). */
function inputs(S: number, start: number, seed: number): { embeds: Float32Array; positions: Int32Array } {
  const H = files.manifest.config.text.hiddenSize;
  const embeds = uniformFloats(S * H, seed, -0.1, 0.1);
  const positions = new Int32Array(3 * S);
  // Image-like ids in the first half (t fixed, h/w varying) so every M-RoPE section is exercised.
  for (let s = 0; s < S; s++) {
    const p = start + s;
    positions[s] = p;
    positions[S + s] = s < S / 2 ? start + (s % 3) : p;
    positions[2 * S + s] = s < S / 2 ? start + Math.floor(s / 3) : p;
  }
  return { embeds, positions };
}

function ortCache(): KvCache {
  const t = files.manifest.config.text;
  return KvCache.empty(FreshKvStore.empty(t.numLayers, () => new ort.Tensor('float32', new Float32Array(0), [1, t.numKvHeads, 0, t.headDim])));
}

// Activations are rounded to int8 per block of 32 here (as MatMulNBits' accuracy_level 4 does on native
// CPUs), and so is the KV cache, while ORT's wasm MatMulNBits and attention multiply float32: about 2⁻⁸ relative
// per product, so the logits agree to about a hundredth of their range (measured 0.012–0.015; 0.009–0.013 with
// the cache in float32).
const INT8_TOL = 2e-2;

describe('Int4Decoder', () => {
  it('matches onnxruntime on a prefill and on KV-cached steps after it', async () => {
    const first = inputs(13, 0, 1);
    const ref = await runDecoder(onnx, first.embeds, first.positions, ortCache());
    const ours = await decoder.decode(first.embeds, first.positions, decoder.emptyCache());
    expect(ours.logits.length).toBe(files.manifest.config.text.vocabSize);
    expect(relErr(ours.logits, ref.logits)).toBeLessThan(INT8_TOL);
    let refCache = ref.cache, ourCache = ours.cache;
    for (let step = 0; step < 3; step++) {
      const next = inputs(1, 13 + step, 10 + step);
      const r = await runDecoder(onnx, next.embeds, next.positions, refCache);
      const o = await decoder.decode(next.embeds, next.positions, ourCache);
      expect(o.cache.length).toBe(14 + step);
      expect(relErr(o.logits, r.logits)).toBeLessThan(INT8_TOL);
      refCache.dispose();
      refCache = r.cache;
      ourCache = o.cache;
    }
    refCache.dispose();
    ourCache.dispose();
  });

  it('writeKv stores positions as a run does: a step after them reads them, wherever the writes were split', async () => {
    const t = files.manifest.config.text;
    const C = 10, row = t.numKvHeads * t.headDim;
    const next = mulberry32(9);
    const rows = () => Float32Array.from({ length: C * row }, () => next() - 0.5);
    const layers = Array.from({ length: t.numLayers }, () => ({ keys: rows(), values: rows() }));
    const step = inputs(1, C, 7);
    /** A cache of C written positions (in writes of `split` positions), and the logits of one step after it. */
    const after = async (split: number) => {
      const empty = decoder.emptyCache();
      const kv = empty.prepare(C).memory!;
      layers.forEach(({ keys, values }, layer) => {
        for (let p = 0; p < C; p += split) decoder.writeKv(kv, layer, p, keys.subarray(p * row, Math.min(C, p + split) * row), values.subarray(p * row, Math.min(C, p + split) * row));
      });
      const r = await decoder.decode(step.embeds, step.positions, empty.extendedBy({}, C));
      r.cache.dispose();
      return r.logits;
    };
    const whole = await after(C);
    expect(relErr(await after(3), whole)).toBe(0);
    // the written positions are what the step attends to: other values there give other logits
    layers[0].values.reverse();
    expect(relErr(await after(C), whole)).toBeGreaterThan(1e-3);
    const kv = decoder.emptyCache();
    expect(() => decoder.writeKv(kv.prepare(1).memory!, 0, 60, new Float32Array(5 * row), new Float32Array(5 * row))).toThrow(/do not fit/);
    kv.dispose();
  });

  it('gives the same logits on the plain-SIMD build as on the relaxed one (the integer sums are exact in both)', async () => {
    expect(decoder.isa).toBe('relaxed-simd');
    const g = files.graphs.decoder_model_merged;
    const plain = await Int4Decoder.load(files.manifest.config.text, g, { threads: 1, kvCapacity: 64, maxRun: 8, isa: 'simd' });
    try {
      const { embeds, positions } = inputs(11, 0, 3);
      const a = await decoder.decode(embeds, positions, decoder.emptyCache());
      const b = await plain.decode(embeds, positions, plain.emptyCache());
      expect(plain.isa).toBe('simd');
      expect(relErr(b.logits, a.logits)).toBeLessThan(1e-6);
      a.cache.dispose();
      b.cache.dispose();
    } finally {
      plain.release();
    }
  });

  it('gives the same logits whether a long input runs in chunks or position by position', async () => {
    const { embeds, positions } = inputs(20, 0, 2); // 3 chunks of maxRun = 8
    const whole = await decoder.decode(embeds, positions, decoder.emptyCache());
    let cache = decoder.emptyCache();
    let last: Float32Array = new Float32Array(0);
    const H = files.manifest.config.text.hiddenSize;
    for (let s = 0; s < 20; s++) {
      const col = Int32Array.of(positions[s], positions[20 + s], positions[40 + s]);
      const r = await decoder.decode(embeds.subarray(s * H, (s + 1) * H), col, cache);
      cache = r.cache;
      last = r.logits;
    }
    expect(relErr(last, whole.logits)).toBeLessThan(1e-5);
    whole.cache.dispose();
    cache.dispose();
  });

  it('reuses a prefix: a follow-up from a shorter view overwrites the tail and makes the longer view stale', async () => {
    const { embeds, positions } = inputs(10, 0, 3);
    const H = files.manifest.config.text.hiddenSize;
    const prefix = await decoder.decode(embeds.subarray(0, 6 * H), cols(positions, 10, 0, 6), decoder.emptyCache(), 'none');
    expect(prefix.logits.length).toBe(0); // a cached prefix is never read for logits (conversation.ts)
    const answer = await decoder.decode(embeds.subarray(6 * H), cols(positions, 10, 6, 10), prefix.cache);
    const other = inputs(4, 6, 4);
    const followUp = await decoder.decode(other.embeds, other.positions, prefix.cache);
    const fresh = await decoder.decode(embeds.subarray(0, 6 * H), cols(positions, 10, 0, 6), decoder.emptyCache());
    const expected = await decoder.decode(other.embeds, other.positions, fresh.cache);
    expect(relErr(followUp.logits, expected.logits)).toBeLessThan(1e-6);
    expect(() => answer.cache.prepare(1)).toThrow(/overwritten/);
    for (const c of [prefix.cache, answer.cache, followUp.cache, fresh.cache, expected.cache]) c.dispose();
  });

  it('refuses a cache from elsewhere, too many positions and malformed inputs, naming the problem', async () => {
    const one = inputs(1, 0, 5);
    await expect(decoder.decode(one.embeds, one.positions, ortCache())).rejects.toThrow(/not made by the int4 decoder/);
    const long = inputs(65, 0, 6);
    await expect(decoder.decode(long.embeds, long.positions, decoder.emptyCache())).rejects.toThrow(/exceed the int4 decoder's KV capacity of 64/);
    await expect(decoder.decode(one.embeds.subarray(1), one.positions, decoder.emptyCache())).rejects.toThrow(/embedding values/);
  });
});

describe('createDecoder', () => {
  it('runs a q4 graph on wasm on the int4 kernels, and keeps onnxruntime for graphs they cannot run, saying why', async () => {
    const cfg = files.manifest.config.text;
    const choice = { backend: 'wasm' as const, reason: 'forced to wasm by the caller' };
    const int4 = await createDecoder(ort, cfg, files.graphs.decoder_model_merged, choice, () => {});
    expect(int4.decoder).toBeInstanceOf(Int4Decoder);
    expect(int4.report).toMatchObject({ session: 'decoder_model_merged', backend: 'wasm' });
    expect(int4.report.reason).toMatch(/^forced to wasm by the caller; int4 kernels \(fo1-web's wasm relaxed SIMD/);
    await int4.decoder.release();
    const fp32 = await loadModelFiles(new NodeFolder((await tinyModel()).dir), 'fp32', () => {}, new AbortController().signal);
    const onnxOnly = await createDecoder(ort, cfg, fp32.graphs.decoder_model_merged, choice, () => {});
    expect(onnxOnly.decoder).toBeInstanceOf(OrtDecoder);
    expect(onnxOnly.report.reason).toMatch(/onnxruntime's decoder: the int4 kernels cannot run this graph \(.*q_proj is not an int4 block-32 weight/);
    await onnxOnly.decoder.release();
    // Fo1EngineOptions.int4Kernels = false (a runtime with int4 kernels of its own: bench/native-ort.ts)
    const asked = await createDecoder(ort, cfg, files.graphs.decoder_model_merged, { ...choice, ortDecoder: true }, () => {});
    expect(asked.decoder).toBeInstanceOf(OrtDecoder);
    expect(asked.report.reason).toBe("forced to wasm by the caller; onnxruntime's decoder: the caller asked for it (Fo1EngineOptions.int4Kernels = false)");
    await asked.decoder.release();
  });

  it('runs the kernels on the thread count the choice asks for, and refuses one that is not a whole number ≥ 1', async () => {
    const cfg = files.manifest.config.text;
    const choice = { backend: 'wasm' as const, reason: 'forced to wasm by the caller' };
    const three = await createDecoder(ort, cfg, files.graphs.decoder_model_merged, { ...choice, threads: 3 }, () => {});
    expect(three.decoder).toBeInstanceOf(Int4Decoder);
    expect(three.report.reason).toContain("int4 kernels (fo1-web's wasm relaxed SIMD, 3 threads)");
    await three.decoder.release();
    for (const threads of [0, 1.5, -2, NaN, 17]) {
      const refused = createDecoder(ort, cfg, files.graphs.decoder_model_merged, { ...choice, threads }, () => {});
      await expect(refused).rejects.toMatchObject({ code: 'bad-input', message: `wasmThreads must be a whole number of threads from 1 to 16 (got ${threads})` });
    }
  });
});
