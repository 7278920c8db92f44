// Decode step time vs context on wasm (Node, onnxruntime-web): the KV-cache cost per token, separated from the
// weights. A decoder with VLM-FO1-3B's layer dims (hidden 2048, 16/2 heads × 128, MLP 11008) but few layers and a
// small vocabulary (so the lm_head does not hide the per-layer KV cost), random fp32 weights, emitted in memory
// by converter/emit/decoder.ts. Per context C, in interleaved rounds (this machine is shared, so every variant
// sees the same load):
//   engine   the engine's wasm path (src/engine/decode/kv-cache.ts FreshKvStore): feed the past, take the
//            past + 1 presents back as the next past — ORT-web copies the past into its heap, GQA copies it into
//            the present, ORT-web copies the present out into a new JS array
//   no-copy-out  the same run fetching only `logits` (a lower bound for any wasm cache that avoids the copy out)
//   no-past  C = 0: the weights alone
// Usage: npx tsx bench/kv-context.ts [--layers 2] [--threads 2] [--rounds 12] [--contexts 512,2048,4096]
import * as ort from 'onnxruntime-web';
import { emitDecoder } from '../converter/emit/decoder.ts';
import { Graph } from '../converter/onnx/graph.ts';
import type { WeightSource } from '../converter/read/checkpoint.ts';
import type { TextConfig } from '../converter/read/config.ts';
import { tensor } from '../reference/tensor.ts';
import { FreshKvStore, KvCache } from '../src/engine/decode/kv-cache.ts';
import { summarize } from './stats.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const layers = Number(arg('layers', '2'));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '12'));
const contexts = arg('contexts', '512,2048,4096').split(',').map(Number);

const cfg: TextConfig = { hiddenSize: 2048, intermediateSize: 11008, numLayers: layers, numHeads: 16, numKvHeads: 2, headDim: 128, vocabSize: 8192, rmsNormEps: 1e-6, ropeTheta: 1e6, mropeSection: [16, 24, 24], tieWordEmbeddings: true };

/** Checkpoint-named shapes of a Qwen2.5 decoder for `cfg`. */
function shapeOf(name: string): number[] {
  const { hiddenSize: H, intermediateSize: I, numHeads: nh, numKvHeads: kvh, headDim: hd, vocabSize: V } = cfg;
  if (name === 'model.embed_tokens.weight') return [V, H];
  if (name.endsWith('norm.weight')) return [H];
  const m = /(q|k|v|o|gate|up|down)_proj\.(weight|bias)$/.exec(name);
  if (!m) throw new Error(`kv-context: no shape for ${name}`);
  const out = { q: nh * hd, k: kvh * hd, v: kvh * hd, o: H, gate: I, up: I, down: H }[m[1]]!;
  const inp = m[1] === 'o' ? nh * hd : m[1] === 'down' ? I : H;
  return m[2] === 'bias' ? [out] : [out, inp];
}

const randomWeights: WeightSource = {
  has: (name) => name !== 'lm_head.weight',
  shape: shapeOf,
  names: () => [],
  async get(name) {
    const shape = shapeOf(name);
    const d = new Float32Array(shape.reduce((a, b) => a * b, 1));
    let s = name.length;
    for (let i = 0; i < d.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      d[i] = (s / 2 ** 32 - 0.5) * 0.04;
    }
    return tensor(d, shape);
  },
};

ort.env.wasm.numThreads = threads;
const g = new Graph('decoder_model_merged');
await emitDecoder(g, { w: randomWeights, format: 'fp32', blockSize: 32, minQuantK: 32 }, cfg);
const session = await ort.InferenceSession.create(g.encode(), { executionProviders: ['wasm'] });
const { numKvHeads: kvh, headDim: hd, hiddenSize: H } = cfg;
const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, kvh, 0, hd]);

/** Feeds of one token at position P (the cache's feeds added by the caller). */
function tokenFeeds(P: number): Record<string, ort.Tensor> {
  return {
    inputs_embeds: new ort.Tensor('float32', new Float32Array(H).fill(0.1), [1, 1, H]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(P + 1).fill(1n), [1, P + 1]),
    position_ids: new ort.Tensor('int64', new BigInt64Array(3).fill(BigInt(P)), [3, 1, 1]),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
  };
}

/** A FreshKvStore cache of C positions (contents do not change the speed). */
function cacheOf(C: number): KvCache {
  const past = KvCache.empty(FreshKvStore.empty(layers, empty));
  const outputs = Object.fromEntries(KvCache.presentNames(layers).map((n) => [n, new ort.Tensor('float32', new Float32Array(kvh * C * hd), [1, kvh, C, hd])]));
  return past.extendedBy(outputs, C);
}

const results: Record<string, Record<string, ReturnType<typeof summarize>>> = {};
for (const C of contexts) {
  let engine = cacheOf(C);
  const fixed = cacheOf(C);
  const variants: Record<string, () => Promise<unknown>> = {
    engine: async () => {
      const kv = engine.prepare(1);
      const out = await session.run({ ...tokenFeeds(engine.length), ...kv.feeds });
      const next = engine.extendedBy(out, 1);
      engine.dispose();
      engine = next;
    },
    'no-copy-out': () => session.run({ ...tokenFeeds(C), ...fixed.prepare(1).feeds }, ['logits']),
    'no-past': () => session.run({ ...tokenFeeds(0), ...cacheOf(0).prepare(1).feeds }, ['logits']),
  };
  const ms: Record<string, number[]> = {};
  for (let r = -1; r < rounds; r++) {
    for (const [name, step] of Object.entries(variants)) {
      const t = performance.now();
      await step();
      if (r >= 0) (ms[name] ??= []).push(performance.now() - t);
    }
  }
  results[C] = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, summarize(v)]));
  for (const [k, v] of Object.entries(results[C])) process.stderr.write(`C=${C} ${k}: ${v.median} ms (min ${v.min})\n`);
  engine.dispose();
}
await session.release();
console.log(JSON.stringify({ layers, threads, rounds, vocab: cfg.vocabSize, msPerStep: results }, null, 1));
