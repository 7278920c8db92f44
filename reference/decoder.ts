// The Qwen2.5 text decoder of Qwen2.5-VL-3B (docs/model.md "Components") with M-RoPE (docs/model.md "Prompt"), float32, batch 1.
// Straight from transformers' modeling_qwen2_5_vl.py (4.50): Qwen2RMSNorm, Qwen2_5_VLRotaryEmbedding,
// apply_multimodal_rotary_pos_emb, Qwen2_5_VLAttention (eager, GQA by repeat_kv), Qwen2MLP, Qwen2_5_VLDecoderLayer.
// It is the oracle for the ONNX decoder: readable, not fast.
//
//   h = inputs_embeds
//   for each layer:  h = h + o_proj(attn(rope(q_proj(rms(h))), rope(k_proj(rms(h))), v_proj(rms(h))))
//                    h = h + down(silu(gate(rms(h))) · up(rms(h)))
//   logits = lm_head(rms(h))

import type { TextConfig } from '../src/model-folder/config.ts';
import type { WeightSource } from '../converter/read/checkpoint.ts';
import { add, concat, linear, mul, rmsNorm, silu, tensor, type Tensor } from './tensor.ts';

export interface DecoderLayerWeights {
  inputNorm: Tensor; // (H)
  q: { w: Tensor; b: Tensor }; // (nh·hd, H), (nh·hd)
  k: { w: Tensor; b: Tensor }; // (kvh·hd, H), (kvh·hd)
  v: { w: Tensor; b: Tensor };
  o: Tensor; // (H, nh·hd), no bias
  postNorm: Tensor; // (H)
  gate: Tensor; // (I, H)
  up: Tensor; // (I, H)
  down: Tensor; // (H, I)
}

export interface DecoderWeights {
  embed: Tensor; // (V, H)
  layers: DecoderLayerWeights[];
  norm: Tensor; // (H)
  lmHead: Tensor; // (V, H): embed_tokens itself when tied
}

/** The checkpoint weight lm_head reads: embed_tokens when the config ties them or lm_head.weight is absent (`omchat_qwen2_5_vl.py` L38). */
export function lmHeadPrefix(w: WeightSource, cfg: TextConfig): 'lm_head' | 'model.embed_tokens' {
  return cfg.tieWordEmbeddings || !w.has('lm_head.weight') ? 'model.embed_tokens' : 'lm_head';
}

export async function loadDecoderWeights(w: WeightSource, cfg: TextConfig): Promise<DecoderWeights> {
  const { hiddenSize: H, intermediateSize: I, numHeads: nh, numKvHeads: kvh, headDim: hd, vocabSize: V } = cfg;
  const layers: DecoderLayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    const proj = async (name: string, n: number) => ({ w: await w.get(`${p}.self_attn.${name}.weight`, [n, H]), b: await w.get(`${p}.self_attn.${name}.bias`, [n]) });
    layers.push({
      inputNorm: await w.get(`${p}.input_layernorm.weight`, [H]),
      q: await proj('q_proj', nh * hd),
      k: await proj('k_proj', kvh * hd),
      v: await proj('v_proj', kvh * hd),
      o: await w.get(`${p}.self_attn.o_proj.weight`, [H, nh * hd]),
      postNorm: await w.get(`${p}.post_attention_layernorm.weight`, [H]),
      gate: await w.get(`${p}.mlp.gate_proj.weight`, [I, H]),
      up: await w.get(`${p}.mlp.up_proj.weight`, [I, H]),
      down: await w.get(`${p}.mlp.down_proj.weight`, [H, I]),
    });
  }
  const embed = await w.get('model.embed_tokens.weight', [V, H]);
  const head = lmHeadPrefix(w, cfg);
  return { embed, layers, norm: await w.get('model.norm.weight', [H]), lmHead: head === 'lm_head' ? await w.get('lm_head.weight', [V, H]) : embed };
}

/** embed_tokens: rows of the embedding table. → (S, H) */
export function embedTokens(weights: DecoderWeights, ids: readonly number[]): Tensor {
  const [V, H] = weights.embed.shape;
  const out = new Float32Array(ids.length * H);
  ids.forEach((id, s) => {
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`embedTokens: token id ${id} is outside the vocabulary [0, ${V})`);
    out.set(weights.embed.data.subarray(id * H, (id + 1) * H), s * H);
  });
  return tensor(out, [ids.length, H]);
}

/** Qwen2_5_VLRotaryEmbedding.inv_freq: 1 / θ^(2j/hd), j < hd/2, in float32 as torch computes it. */
export function ropeInvFreq(cfg: TextConfig): Float32Array {
  const half = cfg.headDim / 2;
  return Float32Array.from({ length: half }, (_, j) => 1 / Math.fround(cfg.ropeTheta ** Math.fround((2 * j) / cfg.headDim)));
}

/** Which position axis (0 = t, 1 = h, 2 = w) rotates frequency j < hd/2: mrope_section splits the half (docs/model.md, M-RoPE). */
export function mropeAxisOf(cfg: TextConfig): Uint8Array {
  const axis = new Uint8Array(cfg.headDim / 2);
  let j = 0;
  cfg.mropeSection.forEach((n, a) => {
    for (let i = 0; i < n; i++) axis[j++] = a;
  });
  return axis;
}

/**
 * M-RoPE cos/sin per token: angle[s, j] = pos[axis(j), s] · inv_freq[j] (the cat(freqs, freqs) halves are equal,
 * so one half is kept). positions (3, S) → cos, sin (S, hd/2).
 */
export function mropeCosSin(cfg: TextConfig, positions: Tensor): { cos: Tensor; sin: Tensor } {
  if (positions.shape.length !== 2 || positions.shape[0] !== 3) throw new Error(`mropeCosSin: positions must be (3, S), got [${positions.shape}]`);
  const S = positions.shape[1];
  const half = cfg.headDim / 2;
  const invFreq = ropeInvFreq(cfg);
  const axis = mropeAxisOf(cfg);
  const cos = new Float32Array(S * half), sin = new Float32Array(S * half);
  for (let s = 0; s < S; s++)
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(positions.data[axis[j] * S + s] * invFreq[j]);
      cos[s * half + j] = Math.cos(angle);
      sin[s * half + j] = Math.sin(angle);
    }
  return { cos: tensor(cos, [S, half]), sin: tensor(sin, [S, half]) };
}

/** x·cos + rotate_half(x)·sin on every head. x (n, S, hd), cos/sin (S, hd/2) → (n, S, hd) */
export function applyRope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const [n, S, hd] = x.shape;
  const half = hd / 2;
  const out = new Float32Array(x.data.length);
  for (let h = 0; h < n; h++)
    for (let s = 0; s < S; s++) {
      const o = (h * S + s) * hd;
      for (let j = 0; j < half; j++) {
        const a = x.data[o + j], b = x.data[o + j + half];
        const c = cos.data[s * half + j], si = sin.data[s * half + j];
        out[o + j] = a * c - b * si;
        out[o + j + half] = b * c + a * si;
      }
    }
  return tensor(out, x.shape);
}

/** (S, n·hd) → (n, S, hd) */
function splitHeads(x: Tensor, n: number): Tensor {
  const [S, nd] = x.shape;
  const hd = nd / n;
  const out = new Float32Array(x.data.length);
  for (let s = 0; s < S; s++) for (let h = 0; h < n; h++) out.set(x.data.subarray(s * nd + h * hd, s * nd + (h + 1) * hd), (h * S + s) * hd);
  return tensor(out, [n, S, hd]);
}

/** (n, S, hd) → (S, n·hd) */
function mergeHeads(x: Tensor): Tensor {
  const [n, S, hd] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let h = 0; h < n; h++) for (let s = 0; s < S; s++) out.set(x.data.subarray((h * S + s) * hd, (h * S + s + 1) * hd), (s * n + h) * hd);
  return tensor(out, [S, n * hd]);
}

/** The keys and values seen so far, one (kvh, T, hd) pair per layer; a forward appends its tokens. */
export class KVCache {
  readonly keys: (Tensor | undefined)[];
  readonly values: (Tensor | undefined)[];

  constructor(numLayers: number) {
    this.keys = new Array(numLayers).fill(undefined);
    this.values = new Array(numLayers).fill(undefined);
  }

  get length(): number {
    return this.keys[0]?.shape[1] ?? 0;
  }

  /** Appends (kvh, S, hd) to layer i and returns the layer's full (kvh, T, hd) keys and values. */
  append(i: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const pk = this.keys[i], pv = this.values[i];
    this.keys[i] = pk ? concat([pk, k], 1) : k;
    this.values[i] = pv ? concat([pv, v], 1) : v;
    return { k: this.keys[i]!, v: this.values[i]! };
  }
}

/**
 * Causal softmax(q·kᵀ/√hd)·v with GQA (query head h reads kv head ⌊h / (nh/kvh)⌋). The S new queries sit at
 * absolute positions T−S … T−1 and see keys 0 … their own position.
 * q (nh, S, hd), k/v (kvh, T, hd) → (nh, S, hd)
 */
export function causalGqa(q: Tensor, k: Tensor, v: Tensor): Tensor {
  const [nh, S, hd] = q.shape;
  const [kvh, T] = k.shape;
  if (nh % kvh) throw new Error(`causalGqa: ${nh} query heads are not a multiple of ${kvh} kv heads`);
  const group = nh / kvh;
  const scale = 1 / Math.sqrt(hd);
  const out = new Float32Array(q.data.length);
  const p = new Float64Array(T);
  for (let h = 0; h < nh; h++) {
    const g = Math.floor(h / group);
    for (let s = 0; s < S; s++) {
      const last = T - S + s;
      const qo = (h * S + s) * hd;
      let max = -Infinity;
      for (let t = 0; t <= last; t++) {
        let dot = 0;
        for (let d = 0; d < hd; d++) dot += q.data[qo + d] * k.data[(g * T + t) * hd + d];
        p[t] = dot * scale;
        max = Math.max(max, p[t]);
      }
      let sum = 0;
      for (let t = 0; t <= last; t++) sum += p[t] = Math.exp(p[t] - max);
      for (let t = 0; t <= last; t++) {
        const w = p[t] / sum;
        for (let d = 0; d < hd; d++) out[qo + d] += w * v.data[(g * T + t) * hd + d];
      }
    }
  }
  return tensor(out, q.shape);
}

/** Qwen2_5_VLAttention. x (S, H) → (S, H) */
function attention(L: DecoderLayerWeights, cfg: TextConfig, x: Tensor, rope: { cos: Tensor; sin: Tensor }, cache: KVCache, i: number): Tensor {
  const q = applyRope(splitHeads(linear(x, L.q.w, L.q.b), cfg.numHeads), rope.cos, rope.sin); // (nh, S, hd)
  const k = applyRope(splitHeads(linear(x, L.k.w, L.k.b), cfg.numKvHeads), rope.cos, rope.sin); // (kvh, S, hd)
  const v = splitHeads(linear(x, L.v.w, L.v.b), cfg.numKvHeads); // (kvh, S, hd)
  const all = cache.append(i, k, v); // (kvh, T, hd)
  return linear(mergeHeads(causalGqa(q, all.k, all.v)), L.o);
}

/** Qwen2MLP: down(silu(gate(x)) · up(x)). x (S, H) → (S, H) */
function mlp(L: DecoderLayerWeights, x: Tensor): Tensor {
  return linear(mul(silu(linear(x, L.gate)), linear(x, L.up)), L.down);
}

/**
 * One forward over S new tokens after the cache's T−S earlier ones; appends their keys/values to `cache`.
 * inputsEmbeds (S, H), positions (3, S) M-RoPE ids → logits (S, V)
 */
export function decoderForward(weights: DecoderWeights, cfg: TextConfig, inputsEmbeds: Tensor, positions: Tensor, cache: KVCache): Tensor {
  const [S, H] = inputsEmbeds.shape;
  if (H !== cfg.hiddenSize) throw new Error(`decoderForward: inputs_embeds width ${H} ≠ hidden_size ${cfg.hiddenSize}`);
  if (positions.shape[1] !== S) throw new Error(`decoderForward: ${positions.shape[1]} positions for ${S} tokens`);
  const rope = mropeCosSin(cfg, positions);
  let h = inputsEmbeds;
  weights.layers.forEach((L, i) => {
    h = add(h, attention(L, cfg, rmsNorm(h, L.inputNorm, cfg.rmsNormEps), rope, cache, i));
    h = add(h, mlp(L, rmsNorm(h, L.postNorm, cfg.rmsNormEps)));
  });
  return linear(rmsNorm(h, weights.norm, cfg.rmsNormEps), weights.lmHead);
}

/** Index of the largest logit in row s of (S, V) logits (greedy decoding; first index wins ties, as torch.argmax). */
export function argmaxRow(logits: Tensor, s: number): number {
  const V = logits.shape[logits.shape.length - 1];
  let best = 0;
  for (let j = 1; j < V; j++) if (logits.data[s * V + j] > logits.data[s * V + best]) best = j;
  return best;
}
