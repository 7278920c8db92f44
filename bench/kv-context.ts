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
// Part of `npm run bench -- kv-context` (results.json `kv_context`); also runs alone:
//   npx tsx bench/kv-context.ts [--layers 2] [--threads 2] [--rounds 12] [--contexts 512,2048,4096]
import type * as OrtModule from 'onnxruntime-web';
import { pathToFileURL } from 'node:url';
import { emitDecoder } from '../converter/emit/decoder.ts';
import { Graph } from '../src/onnx/graph.ts';
import type { WeightSource } from '../converter/read/checkpoint.ts';
import type { TextConfig } from '../src/model-folder/config.ts';
import { tensor } from '../reference/tensor.ts';
import { FreshKvStore, KvCache } from '../src/engine/decode/kv-cache.ts';
import { summarize, type Summary } from './stats.ts';
import { tensorSeed, uniformFloats } from '../fixtures/random.ts';

type Ort = typeof OrtModule;

export interface KvContextArgs {
  layers: number;
  rounds: number;
  contexts: number[];
}

export type KvVariant = 'engine' | 'no-copy-out' | 'no-past';

export interface KvContextRun extends KvContextArgs {
  vocab: number;
  /** Per context, ms per decode step of each variant. */
  msPerStep: Record<string, Record<KvVariant, Summary>>;
}

/** VLM-FO1-3B's decoder layer dims with `layers` layers and a small vocabulary. */
function textConfig(layers: number): TextConfig {
  return { hiddenSize: 2048, intermediateSize: 11008, numLayers: layers, numHeads: 16, numKvHeads: 2, headDim: 128, vocabSize: 8192, rmsNormEps: 1e-6, ropeTheta: 1e6, mropeSection: [16, 24, 24], tieWordEmbeddings: true };
}

/** Checkpoint-named shapes of a Qwen2.5 decoder for `cfg`. */
function shapeOf(cfg: TextConfig, name: string): number[] {
  const { hiddenSize: H, intermediateSize: I, numHeads: nh, numKvHeads: kvh, headDim: hd, vocabSize: V } = cfg;
  if (name === 'model.embed_tokens.weight') return [V, H];
  if (name.endsWith('norm.weight')) return [H];
  const m = /(q|k|v|o|gate|up|down)_proj\.(weight|bias)$/.exec(name);
  if (!m) throw new Error(`kv-context: no shape for ${name}`);
  const out = { q: nh * hd, k: kvh * hd, v: kvh * hd, o: H, gate: I, up: I, down: H }[m[1]]!;
  const inp = m[1] === 'o' ? nh * hd : m[1] === 'down' ? I : H;
  return m[2] === 'bias' ? [out] : [out, inp];
}

function randomWeights(cfg: TextConfig): WeightSource {
  return {
    has: (name) => name !== 'lm_head.weight',
    shape: (name) => shapeOf(cfg, name),
    names: () => [],
    async get(name) {
      const shape = shapeOf(cfg, name);
      return tensor(uniformFloats(shape.reduce((a, b) => a * b, 1), tensorSeed(0, name), -0.02, 0.02), shape);
    },
  };
}

/** Runs the three variants at each context in interleaved rounds (one warm-up round); ORT's threads are the caller's. */
export async function measureKvContext(ort: Ort, args: KvContextArgs, log: (m: string) => void = () => {}): Promise<KvContextRun> {
  const { layers, rounds, contexts } = args;
  const cfg = textConfig(layers);
  const g = new Graph('decoder_model_merged');
  await emitDecoder(g, { w: randomWeights(cfg), format: 'fp32', blockSize: 32, minQuantK: 32 }, cfg);
  const session = await ort.InferenceSession.create(g.encode(), { executionProviders: ['wasm'] });
  const { numKvHeads: kvh, headDim: hd, hiddenSize: H } = cfg;
  const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, kvh, 0, hd]);

  /** Feeds of one token at position P (the cache's feeds added by the caller). */
  const tokenFeeds = (P: number): Record<string, OrtModule.Tensor> => ({
    inputs_embeds: new ort.Tensor('float32', new Float32Array(H).fill(0.1), [1, 1, H]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(P + 1).fill(1n), [1, P + 1]),
    position_ids: new ort.Tensor('int64', new BigInt64Array(3).fill(BigInt(P)), [3, 1, 1]),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
  });

  /** A FreshKvStore cache of C positions (contents do not change the speed). */
  const cacheOf = (C: number): KvCache => {
    const past = KvCache.empty(FreshKvStore.empty(layers, empty));
    const outputs = Object.fromEntries(KvCache.presentNames(layers).map((n) => [n, new ort.Tensor('float32', new Float32Array(kvh * C * hd), [1, kvh, C, hd])]));
    return past.extendedBy(outputs, C);
  };

  const msPerStep: KvContextRun['msPerStep'] = {};
  try {
    for (const C of contexts) {
      let engine = cacheOf(C);
      const fixed = cacheOf(C);
      const variants: Record<KvVariant, () => Promise<unknown>> = {
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
      const ms: Partial<Record<KvVariant, number[]>> = {};
      for (let r = -1; r < rounds; r++) {
        for (const [name, step] of Object.entries(variants) as [KvVariant, () => Promise<unknown>][]) {
          const t = performance.now();
          await step();
          if (r >= 0) (ms[name] ??= []).push(performance.now() - t);
        }
      }
      msPerStep[C] = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, summarize(v)])) as Record<KvVariant, Summary>;
      for (const [k, v] of Object.entries(msPerStep[C])) log(`C=${C} ${k}: ${v.median} ms (min ${v.min})`);
      engine.dispose();
    }
  } finally {
    await session.release();
  }
  return { ...args, vocab: cfg.vocabSize, msPerStep };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = Number(arg('threads', '2'));
  const run = await measureKvContext(ort, { layers: Number(arg('layers', '2')), rounds: Number(arg('rounds', '12')), contexts: arg('contexts', '512,2048,4096').split(',').map(Number) }, (m) => process.stderr.write(`${m}\n`));
  console.log(JSON.stringify(run, null, 1));
  process.exit(0);
}
