// The Qwen2.5 decoder of decoder_model_merged run on the engine's own int4 kernels (kernels.as.ts) instead of
// onnxruntime-web's wasm backend, which has no int4 MatMul kernel (bench/RESULTS.md: every decode step would
// dequantize all 3B weights to float32). Same file, same weights, same math as the graph
// (converter/emit/decoder.ts; the float32 oracle is reference/decoder.ts):
//
//   h = inputs_embeds                                                  (S, H) residual stream
//   for each layer:
//     x = RMSNorm(h) · input_layernorm
//     q, k, v = x·Wqᵀ + bq, x·Wkᵀ + bk, x·Wvᵀ + bv                      (S, nh·hd), (S, kvh·hd) ×2
//     q, k = M-RoPE(q), M-RoPE(k);  cache[P … P+S) ← k, v              rounded to int8 (kv-cache.as.ts)
//     h += causal GQA(q, cache) · Woᵀ
//     x = RMSNorm(h) · post_attention_layernorm
//     h += (silu(x·Wgateᵀ) ⊙ x·Wupᵀ) · Wdownᵀ
//   logits = (RMSNorm(h[S−1]) · norm) · Wlm_headᵀ                      (V) the last position only
//
// The int4 products run in the kernels, split across threads; norms, biases, rotary and residual adds are
// O(S·H) and stay in JS over views of the kernels' memory. Inputs longer than `maxRun` positions run in chunks
// (exact: attention is causal, decoder-run.ts explains), which bounds the scratch memory. Where this rounds
// what the graph keeps in float32: activations into the int4 products (int8, as MatMulNBits' accuracy_level 4
// does on native CPUs) and the KV cache and attention's products (int8; kernels.as.ts says why and how).
import type { TextConfig } from '../../../model-folder/config.ts';
import { q4InitializerNames } from '../../../model-folder/graph-io.ts';
import { mropeTables } from '../../../model-folder/rope.ts';
import { readInitializers } from '../../load/onnx-initializers.ts';
import type { GraphBytes } from '../../session.ts';
import { positionColumns, type DecodeResult, type LogitsWanted } from '../decoder-run.ts';
import { KvCache, type KvMemory, type KvRun, type KvStore } from '../kv-cache.ts';
import { GEMM_JOB_BYTES, Kernels, type KernelIsa } from './kernels.ts';
import { DecoderWeights, KERNEL_BLOCK, type Q4Linear } from './weights.ts';

export interface Int4DecoderOptions {
  /** Kernel threads, this one included. */
  threads: number;
  /** Positions one KV cache holds (prompt + answer). */
  kvCapacity: number;
  /** Positions one pass holds; longer inputs run in chunks. */
  maxRun: number;
  /** One build of the kernels (the bench compares them); absent: the fastest that works here. */
  isa?: KernelIsa;
}

interface Layer {
  inputNorm: Float32Array;
  q: Q4Linear;
  k: Q4Linear;
  v: Q4Linear;
  o: Q4Linear;
  postNorm: Float32Array;
  gate: Q4Linear;
  up: Q4Linear;
  down: Q4Linear;
}

/** Scratch arrays for one chunk of R positions (byte offsets into the kernels' memory). */
interface Scratch {
  h: number; // (R, H) residual stream
  x: number; // (R, H) normed input of a block
  q: number; // (R, nh·hd)
  k: number; // (R, kvh·hd)
  v: number; // (R, kvh·hd)
  att: number; // (R, nh·hd) attention output
  proj: number; // (R, H) o_proj / down_proj output
  gate: number; // (R, I)
  up: number; // (R, I)
  xq: number; // (R, kbMax, 32) int8 activation codes, i16 or i8 (Kernels.xqBlockBytes)
  xsc: number; // (R, kbMax) f32
  xsum: number; // (R, kbMax) i32
  jobs: number; // up to 3 gemm jobs (kernels.ts GEMM_JOB_BYTES each)
  scores: number; // threads × attentionScratchBytes: attention scores, weights and query codes (attention.as.ts)
  logits: number; // (V) f32
}

export class Int4Decoder {
  private readonly free: KvMemory[] = [];

  get capacity(): number {
    return this.options.kvCapacity;
  }

  private constructor(
    private readonly k: Kernels,
    private readonly cfg: TextConfig,
    private readonly layers: Layer[],
    private readonly finalNorm: Float32Array,
    private readonly lmHead: Q4Linear,
    private readonly s: Scratch,
    private readonly options: Int4DecoderOptions,
  ) {}

  /**
   * The decoder of `graph` (decoder_model_merged, q4) in fresh kernel memory. Throws when the graph's weights
   * are not all int4 block-32 (the caller then keeps onnxruntime's decoder) or do not fit wasm's 4 GiB.
   */
  static async load(cfg: TextConfig, graph: GraphBytes, options: Int4DecoderOptions): Promise<Int4Decoder> {
    const { hiddenSize: H, intermediateSize: I, numHeads: nh, numKvHeads: kvh, headDim: hd, vocabSize: V } = cfg;
    if (hd % 16 || I % 4) throw new Error(`int4 decoder: head size ${hd} must be a multiple of 16 and MLP size ${I} of 4 (SIMD lanes)`);
    const k = await Kernels.create(options.threads, options.isa);
    try {
      const inits = readInitializers(graph, 'decoder_model_merged');
      const w = new DecoderWeights(k, inits, 'decoder_model_merged');
      const layers: Layer[] = [];
      for (let i = 0; i < cfg.numLayers; i++) {
        const a = `model.layers.${i}.self_attn`, m = `model.layers.${i}.mlp`;
        layers.push({
          inputNorm: w.vector(`model.layers.${i}.input_layernorm.weight`, H),
          q: w.linear(`${a}.q_proj`, nh * hd, H, { bias: true }),
          k: w.linear(`${a}.k_proj`, kvh * hd, H, { bias: true }),
          v: w.linear(`${a}.v_proj`, kvh * hd, H, { bias: true }),
          o: w.linear(`${a}.o_proj`, H, nh * hd, { bias: false }),
          postNorm: w.vector(`model.layers.${i}.post_attention_layernorm.weight`, H),
          gate: w.linear(`${m}.gate_proj`, I, H, { bias: false }),
          up: w.linear(`${m}.up_proj`, I, H, { bias: false }),
          down: w.linear(`${m}.down_proj`, H, I, { bias: false }),
        });
      }
      // A tied lm_head reads embed_tokens' table (converter/emit/decoder.ts); an untied one has its own.
      const lmHead = w.linear(inits.has(q4InitializerNames('lm_head', KERNEL_BLOCK).codes) ? 'lm_head' : 'model.embed_tokens', V, H, { bias: false });
      const R = options.maxRun;
      const kbMax = Math.ceil(Math.max(H, I, nh * hd) / KERNEL_BLOCK);
      const f32 = (n: number) => k.alloc(n * 4);
      const s: Scratch = {
        h: f32(R * H), x: f32(R * H), q: f32(R * nh * hd), k: f32(R * kvh * hd), v: f32(R * kvh * hd), att: f32(R * nh * hd), proj: f32(R * H),
        gate: f32(R * I), up: f32(R * I), xq: k.alloc(R * kbMax * k.xqBlockBytes), xsc: f32(R * kbMax), xsum: f32(R * kbMax), jobs: k.alloc(3 * GEMM_JOB_BYTES),
        scores: k.alloc(k.threadCount * k.exports.attentionScratchBytes(hd, options.kvCapacity)), logits: f32(V),
      };
      return new Int4Decoder(k, cfg, layers, w.vector('model.norm.weight', H), lmHead, s, options);
    } catch (e) {
      k.close();
      throw e;
    }
  }

  /** Which build of the kernels runs. */
  get isa(): KernelIsa {
    return this.k.isa;
  }

  /** Bytes of kernel memory in use (weights, scratch and every KV cache allocated so far). */
  get memoryBytes(): number {
    return this.k.used;
  }

  emptyCache(): KvCache {
    return KvCache.empty(new Int4KvStore(this));
  }

  /** A cache's memory: a released one when there is one (caches are all the same size), else new memory. */
  takeKv(): KvMemory {
    const reused = this.free.pop();
    if (reused) return reused;
    const { numLayers, numKvHeads: kvh, headDim: hd } = this.cfg;
    const cap = this.options.kvCapacity;
    const keyBytes = this.k.exports.kvKeyBytes(kvh, hd, cap), valueBytes = this.k.exports.kvValueBytes(kvh, hd, cap);
    return { capacity: cap, layers: Array.from({ length: numLayers }, () => ({ key: this.k.alloc(keyBytes), value: this.k.alloc(valueBytes) })) };
  }

  /**
   * Stores keys and values (n, kvh, hd) f32 at positions from … from+n−1 of one layer, as a run stores its own:
   * how the benchmark writes a synthetic cache of C positions without a C-token prefill (memory never written
   * would be read as the OS's shared zero page, from cache, and make long contexts look free).
   */
  writeKv(kv: KvMemory, layer: number, from: number, keys: Float32Array, values: Float32Array): void {
    const { numKvHeads: kvh, headDim: hd } = this.cfg;
    const n = keys.length / (kvh * hd);
    if (!Number.isInteger(n) || values.length !== keys.length || from < 0 || from + n > kv.capacity)
      throw new RangeError(`writeKv: ${keys.length} keys and ${values.length} values at ${from} do not fit (n, ${kvh}, ${hd}) rows in capacity ${kv.capacity}`);
    const R = this.options.maxRun, row = kvh * hd;
    for (let t = 0; t < n; t += R) {
      const m = Math.min(R, n - t);
      this.k.f32(this.s.k, m * row).set(keys.subarray(t * row, (t + m) * row));
      this.k.f32(this.s.v, m * row).set(values.subarray(t * row, (t + m) * row));
      this.store(kv.layers[layer], kv.capacity, from + t, m);
    }
  }

  giveBackKv(kv: KvMemory): void {
    this.free.push(kv);
  }

  release(): void {
    this.k.close();
  }

  /**
   * Runs S new positions after `cache`: `embeds` (S, H), `positions` (3, S) M-RoPE ids. The cache is extended
   * in place (KvCache's view rules: longer views of the same sequence become stale).
   */
  async decode(embeds: Float32Array, positions: Int32Array, cache: KvCache, logits: LogitsWanted = 'last'): Promise<DecodeResult> {
    const { hiddenSize: H } = this.cfg;
    const S = positions.length / 3;
    if (!Number.isInteger(S) || S < 1) throw new Error(`decode: ${positions.length} position ids is not 3 × a positive count`);
    if (embeds.length !== S * H) throw new Error(`decode: ${embeds.length} embedding values for ${S} positions (expected ${S} × ${H})`);
    // Checked before prepare(), which would mark longer views of the sequence stale for a run that never happens.
    const capacity = this.options.kvCapacity;
    if (cache.length + S > capacity) throw new RangeError(`decode: ${cache.length + S} positions exceed the int4 decoder's KV capacity of ${capacity}`);
    const kv = cache.prepare(S).memory;
    if (!kv) throw new Error('int4 decoder: this KV cache was not made by the int4 decoder');
    const R = this.options.maxRun;
    for (let from = 0; from < S; from += R) {
      const to = Math.min(S, from + R);
      this.k.f32(this.s.h, (to - from) * H).set(embeds.subarray(from * H, to * H));
      this.forward(to - from, cache.length + from, positionColumns(positions, S, from, to), kv, to === S && logits === 'last' ? 1 : 0);
      // Yield between chunks so a cancel or another message can get through during a long prefill.
      if (to < S) await new Promise((r) => setTimeout(r, 0));
    }
    return { logits: logits === 'last' ? this.logits(S - 1 - Math.floor((S - 1) / R) * R) : new Float32Array(0), cache: cache.extendedBy({}, S) };
  }

  /**
   * One chunk: n positions at P … P+n−1 whose embeddings are in scratch h. Of the last layer's output only the
   * chunk's last `keep` rows are read (the logits' row, or none), so its other rows get only their keys and
   * values (the cache's part): 1/36 of a 3B prefill's products saved, with every kept number the same.
   */
  private forward(n: number, P: number, positions: Int32Array, kv: KvMemory, keep: number): void {
    const { s, cfg } = this;
    const { hiddenSize: H, numHeads: nh, numKvHeads: kvh, headDim: hd, intermediateSize: I } = cfg;
    const { cos, sin } = mropeTables(cfg, positions);
    const last = this.layers.length - 1;
    this.layers.forEach((L, i) => {
      const r = i === last ? n - keep : 0, m = n - r; // rows r … n−1 go on past the keys and values
      const h = s.h + r * H * 4, half = hd / 2;
      this.rmsNorm(s.h, L.inputNorm, s.x, n);
      if (r === 0) this.linear(s.x, n, [L.q, L.k, L.v], [s.q, s.k, s.v]);
      else {
        this.linear(s.x, n, [L.k, L.v], [s.k, s.v]);
        if (m) this.linear(s.x + r * H * 4, m, [L.q], [s.q]);
      }
      this.rope(s.k, n, kvh, cos, sin);
      this.store(kv.layers[i], kv.capacity, P, n);
      if (!m) return;
      this.rope(s.q, m, nh, cos.subarray(r * half), sin.subarray(r * half));
      this.k.parallel('attention', [s.q, kv.layers[i].key, kv.layers[i].value, s.att, m, P + r, nh, kvh, hd, kv.capacity, s.scores]);
      this.linear(s.att, m, [L.o], [s.proj]);
      this.addInto(h, s.proj, m * H);
      this.rmsNorm(h, L.postNorm, s.x, m);
      this.linear(s.x, m, [L.gate, L.up], [s.gate, s.up]);
      this.k.parallel('siluMul', [s.gate, s.up, m * I]);
      this.linear(s.gate, m, [L.down], [s.proj]);
      this.addInto(h, s.proj, m * H);
    });
  }

  /** The logits of chunk row `row` (the input's last position): final norm, then lm_head. */
  private logits(row: number): Float32Array {
    const { s } = this;
    const H = this.cfg.hiddenSize;
    this.rmsNorm(s.h + row * H * 4, this.finalNorm, s.x, 1);
    this.linear(s.x, 1, [this.lmHead], [s.logits]);
    return this.k.f32(s.logits, this.lmHead.N).slice();
  }

  /**
   * y_i (M, N_i) = x (M, K) · W_iᵀ + b_i for Linears of the same input (q, k, v; gate, up): x is quantized once
   * and the products run as one call across the threads.
   */
  private linear(x: number, M: number, Ls: Q4Linear[], ys: number[]): void {
    const { s, k } = this;
    const { K, kb } = Ls[0];
    k.exports.quantizeRows(x, M, K, kb, s.xq, s.xsc, s.xsum);
    k.gemm(s.jobs, Ls.map((L, i) => ({ B: L.B, S: L.S, Z: L.Z, N: L.N, kb, xq: s.xq, xsc: s.xsc, xsum: s.xsum, M, y: ys[i] })));
    Ls.forEach((L, i) => {
      if (!L.bias) return;
      const out = k.f32(ys[i], M * L.N), b = k.f32(L.bias, L.N);
      for (let m = 0; m < M; m++) for (let j = 0; j < L.N; j++) out[m * L.N + j] += b[j];
    });
  }

  /** y (n, H) = x / √(mean(x²) + ε) · w, row by row. */
  private rmsNorm(x: number, w: Float32Array, y: number, n: number): void {
    const H = this.cfg.hiddenSize;
    const xs = this.k.f32(x, n * H), ys = this.k.f32(y, n * H);
    for (let r = 0; r < n; r++) {
      let ss = 0;
      for (let j = 0; j < H; j++) ss += xs[r * H + j] ** 2;
      const inv = 1 / Math.sqrt(ss / H + this.cfg.rmsNormEps);
      for (let j = 0; j < H; j++) ys[r * H + j] = xs[r * H + j] * inv * w[j];
    }
  }

  /** Rotates every head of x (n, heads, hd) in place: x·cos + rotate_half(x)·sin, cos/sin (n, hd/2). */
  private rope(x: number, n: number, heads: number, cos: Float32Array, sin: Float32Array): void {
    const hd = this.cfg.headDim, half = hd / 2;
    const xs = this.k.f32(x, n * heads * hd);
    for (let t = 0; t < n; t++)
      for (let h = 0; h < heads; h++) {
        const o = (t * heads + h) * hd;
        for (let j = 0; j < half; j++) {
          const a = xs[o + j], b = xs[o + j + half], c = cos[t * half + j], si = sin[t * half + j];
          xs[o + j] = a * c - b * si;
          xs[o + j + half] = b * c + a * si;
        }
      }
  }

  /** cache[P … P+n) ← this chunk's k and v (n, kvh, hd), rounded to the cache's int8 (kv-cache.as.ts). */
  private store(layer: { key: number; value: number }, capacity: number, P: number, n: number): void {
    const { numKvHeads: kvh, headDim: hd } = this.cfg;
    this.k.exports.storeKv(this.s.k, this.s.v, n, P, kvh, hd, capacity, layer.key, layer.value);
  }

  private addInto(a: number, b: number, count: number): void {
    const x = this.k.f32(a, count), y = this.k.f32(b, count);
    for (let i = 0; i < count; i++) x[i] += y[i];
  }
}

/** The cache of one sequence in kernel memory, extended in place (KvCache's views make the rules). */
class Int4KvStore implements KvStore {
  private kv: KvMemory | null = null;

  constructor(private readonly decoder: Int4Decoder) {}

  prepare(): KvRun {
    this.kv ??= this.decoder.takeKv();
    return { feeds: {}, fetches: null, memory: this.kv };
  }

  commit(): KvStore {
    return this;
  }

  release(): void {
    if (this.kv) this.decoder.giveBackKv(this.kv);
    this.kv = null;
  }
}
