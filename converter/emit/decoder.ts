// The two text graphs of the model folder, I/O-compatible with transformers.js' Qwen2.5-VL `embed_tokens` and
// `decoder_model_merged`, so that library can drive the same files (docs/model-format.md, Graph I/O and
// Runtime constraints). Math: reference/decoder.ts (the Qwen2.5 decoder; M-RoPE, src/model-folder/rope.ts).
// Ops: the contrib ops ORT-web runs on both the wasm CPU EP and the WebGPU EP: SimplifiedLayerNormalization,
// SkipSimplifiedLayerNormalization, RotaryEmbedding, GroupQueryAttention, MatMulNBits.
//
// M-RoPE choice: cos/sin are computed once per run for the S new tokens, already merged across the t/h/w
// sections, as a per-token cache (B·S, hd/2); com.microsoft RotaryEmbedding then reads row b·S + s for token
// (b, s). That is exact for any batch and any positions (no max-position table, nothing O(context) per step),
// and keeps GQA free of do_rotary, whose internal positions (past length + i) are not M-RoPE positions.
//
// KV strategy: GQA without a shared buffer — past (B, kvh, P, hd) in, present (B, kvh, P + S, hd) out, sized
// exactly to the total length as transformers.js expects. seqlens_k / total_sequence_length come from
// attention_mask as onnxruntime-genai derives them (batch rows right-padded or unpadded).

import type { Graph, Scope, Value } from '../../src/onnx/graph.ts';
import { tensorData } from '../../src/onnx/graph.ts';
import type { TextConfig } from '../../src/model-folder/config.ts';
import { decoderIO, embedTokensIO, type GraphIO } from '../../src/model-folder/graph-io.ts';
import { f16Bytes } from '../../src/onnx/f16.ts';
import type { Q4Weight } from '../quantize/q4.ts';
import { mropeAxisOf, ropeInvFreq } from '../../src/model-folder/rope.ts';
import type { WeightSource } from '../read/weights.ts';
import { f32Tensor, linear, readQ4, type EmitContext } from './linear.ts';

function declareInputs(g: Graph, io: GraphIO): Record<string, Value> {
  return Object.fromEntries(io.inputs.map((v) => [v.name, g.input(v.name, v.dtype, v.dims)]));
}

function declareOutput(g: Graph, io: GraphIO, name: string, v: Value): void {
  const info = io.outputs.find((o) => o.name === name);
  if (!info) throw new Error(`no output ${name} in the graph's I/O contract`);
  g.output(v, name, info.dtype, info.dims);
}

/**
 *   input_ids (B, S) ──Gather(embed_tokens)──► inputs_embeds (B, S, H)                                     fp32
 *   input_ids (B, S) ──Gather(int4 rows, scales, zero points)──unpack nibbles──(q − zp)·scale──[Slice H]──► q4
 *
 * The q4 rows are dequantized with plain ops (Gather/Cast/Div/Mul/Sub) rather than com.microsoft
 * GatherBlockQuantized: onnxruntime-web's WebGPU build has no CPU kernel for it, so a session forced to wasm
 * could not load. Only the S looked-up rows are unpacked, so the cost is negligible. The table's initializers
 * are byte for byte MatMulNBits' (linear.ts q4Initializers), so a tied lm_head reads the same file.
 */
export async function emitEmbedTokens(g: Graph, ctx: EmitContext, cfg: TextConfig): Promise<void> {
  const io = embedTokensIO(cfg);
  const { input_ids } = declareInputs(g, io);
  const { vocabSize: V, hiddenSize: H } = cfg;
  const s = g.at('/model/embed_tokens');
  const y = ctx.format === 'q4' && H >= ctx.minQuantK
    ? emitQ4Rows(g, await readQ4(ctx, 'model.embed_tokens.weight', V, H), input_ids, H)
    : s.op('Gather', 'Gather', [g.weight('model.embed_tokens.weight', f32Tensor(await ctx.w.get('model.embed_tokens.weight', [V, H]))), input_ids], { axis: 0 });
  declareOutput(g, io, 'inputs_embeds', y);
}

/**
 * Rows `ids` of a q4 table, dequantized (converter/quantize/q4.ts layout, low nibble first):
 *   packed (V, kb·blk/2) ─Gather─► (B, S, kb·blk/2) ─nibbles─► (B, S, kb, blk)
 *   zero points (V, ⌈kb/2⌉) ─Gather─► (B, S, ⌈kb/2⌉) ─nibbles─► (B, S, 2⌈kb/2⌉) ─[Slice kb]─► (B, S, kb, 1)
 *   scales float16 (V, kb) ─Cast (folded at load)─Gather─► (B, S, kb, 1)
 *   ((q − zp) as float) · scale ─► (B, S, kb·blk) ─[Slice H]─► (B, S, H)
 */
function emitQ4Rows(g: Graph, q: Q4Weight, ids: Value, H: number): Value {
  const s = g.at('/model/embed_tokens');
  const { N: V, kBlocks: kb, blockSize: blk } = q;
  const zc = Math.ceil(kb / 2);
  const packed = g.weight('model.embed_tokens.weight_Q4G' + blk, { dtype: 'uint8', dims: [V, (kb * blk) / 2], bytes: q.packed });
  const scales16 = g.weight('model.embed_tokens.weight_scale', { dtype: 'float16', dims: [V, kb], bytes: f16Bytes(q.scales) });
  const zp = g.weight('model.embed_tokens.weight_zp', { dtype: 'uint8', dims: [V, zc], bytes: q.zeroPoints });
  const scales = s.op('Cast', 'Cast_scale', [scales16], { to: 1 }); // (V, kb) float32, a constant
  const bs = s.op('Shape', 'Shape_ids', [ids]); // [B, S]
  const rowsOf = (name: string, table: Value) => s.op('Gather', `Gather_${name}`, [table, ids], { axis: 0 });
  const last = g.ints([-1]);
  const codes = emitNibbles(s.at('codes'), rowsOf('packed', packed)); // (B, S, kb·blk/2, 2)
  const blocks = s.op('Reshape', 'Reshape_blocks', [codes, s.op('Concat', 'Concat_shape', [bs, g.ints([kb, blk])], { axis: 0 })]); // (B, S, kb, blk)
  const zpPairs = s.op('Reshape', 'Reshape_zp', [emitNibbles(s.at('zp'), rowsOf('zp', zp)), s.op('Concat', 'Concat_zp', [bs, g.ints([2 * zc])], { axis: 0 })]); // (B, S, 2⌈kb/2⌉)
  const zpRows = s.op('Unsqueeze', 'Unsqueeze_zp', [kb === 2 * zc ? zpPairs : s.op('Slice', 'Slice_zp', [zpPairs, g.ints([0]), g.ints([kb]), g.ints([2])]), last]); // (B, S, kb, 1)
  const scaleRows = s.op('Unsqueeze', 'Unsqueeze_scale', [rowsOf('scale', scales), last]); // (B, S, kb, 1)
  const deq = s.op('Mul', 'Mul_scale', [s.op('Cast', 'Cast_float', [s.op('Sub', 'Sub_zp', [blocks, zpRows])], { to: 1 }), scaleRows]);
  const rows = s.op('Reshape', 'Reshape_rows', [deq, s.op('Concat', 'Concat_rows', [bs, g.ints([kb * blk])], { axis: 0 })]); // (B, S, kb·blk)
  // Rows are stored padded to whole blocks; the padding is zeros and is cut off here.
  return kb * blk === H ? rows : s.op('Slice', 'Slice', [rows, g.ints([0]), g.ints([H]), g.ints([2])]);
}

/** Bytes (…, n) uint8 → their 4-bit halves (…, n, 2) int32, low nibble first: hi = p / 16, lo = p − 16·hi. */
function emitNibbles(s: Scope, bytes: Value): Value {
  const p = s.op('Cast', 'Cast', [bytes], { to: 6 });
  const sixteen = s.graph.scalar(16, 'int32');
  const hi = s.op('Div', 'Div_hi', [p, sixteen]);
  const lo = s.op('Sub', 'Sub_lo', [p, s.op('Mul', 'Mul_hi', [hi, sixteen])]);
  const last = s.graph.ints([-1]);
  return s.op('Concat', 'Concat', [s.op('Unsqueeze', 'Unsqueeze_lo', [lo, last]), s.op('Unsqueeze', 'Unsqueeze_hi', [hi, last])], { axis: -1 });
}

/** One layer's keys and values (B, kvh, len, hd). */
interface KV {
  key: Value;
  value: Value;
}

/** The checkpoint Linear lm_head is: embed_tokens when the config ties them or lm_head.weight is absent. */
function lmHeadWeights(w: WeightSource, cfg: TextConfig): 'lm_head' | 'model.embed_tokens' {
  return cfg.tieWordEmbeddings || !w.has('lm_head.weight') ? 'model.embed_tokens' : 'lm_head';
}

/** Per-run values every layer shares: the rotary tables and GQA's sequence lengths. */
interface Shared {
  cos: Value; // (B·S, hd/2)
  sin: Value; // (B·S, hd/2)
  ropeIds: Value; // (B, S) int64: b·S + s, the row of cos/sin for token (b, s)
  seqlensK: Value; // (B) int32: valid tokens − 1 per row
  totalLen: Value; // () int32
}

/**
 * M-RoPE tables for the S new tokens (src/model-folder/rope.ts mropeTables, computed in-graph):
 *   position_ids (3,B,S) ─Cast─Unsqueeze─×inv_freq─► (3,B,S,hd/2) ─Slice axis a, section a─Concat─► (1,B,S,hd/2)
 *   ─Reshape─► (B·S, hd/2) ─Cos/Sin─► cos, sin;   Range(B·S) ─Reshape(B,S)─► ropeIds
 */
function emitRotaryTables(g: Graph, cfg: TextConfig, positionIds: Value, inputsEmbeds: Value): Pick<Shared, 'cos' | 'sin' | 'ropeIds'> {
  const s = g.at('/model/rotary');
  const half = cfg.headDim / 2;
  const pos = s.op('Unsqueeze', 'Unsqueeze', [s.op('Cast', 'Cast', [positionIds], { to: 1 }), g.ints([-1])]); // (3, B, S, 1)
  const invFreq = g.constant(tensorData('float32', [half], ropeInvFreq(cfg)));
  const freqs = s.op('Mul', 'Mul', [pos, invFreq]); // (3, B, S, hd/2)
  const axisOf = mropeAxisOf(cfg);
  const sections = cfg.mropeSection.map((n, a) => {
    const start = axisOf.indexOf(a);
    return n === 0 ? null : s.op('Slice', `Slice_${a}`, [freqs, g.ints([a, start]), g.ints([a + 1, start + n]), g.ints([0, 3])]); // (1, B, S, n_a)
  }).filter((v): v is Value => v !== null);
  const angles = s.op('Reshape', 'Reshape', [s.op('Concat', 'Concat', sections, { axis: -1 }), g.ints([-1, half])]); // (B·S, hd/2)
  const bs = s.op('Shape', 'Shape_BS', [inputsEmbeds], { start: 0, end: 2 }); // [B, S]
  const n = s.op('ReduceProd', 'ReduceProd', [bs], { keepdims: 0 }); // B·S
  const ids = s.op('Range', 'Range', [g.scalar(0, 'int64'), n, g.scalar(1, 'int64')]);
  return { cos: s.op('Cos', 'Cos', [angles]), sin: s.op('Sin', 'Sin', [angles]), ropeIds: s.op('Reshape', 'Reshape_ids', [ids, bs]) };
}

/** attention_mask (B, T) → seqlens_k = Σmask − 1 (B) int32, total_sequence_length = T () int32 — as onnxruntime-genai. */
function emitSequenceLengths(g: Graph, mask: Value): Pick<Shared, 'seqlensK' | 'totalLen'> {
  const s = g.at('/model/attn_mask');
  // int32 before the sum: WebGPU kernels handle int32 reductions, not int64.
  const sum = s.op('ReduceSum', 'ReduceSum', [s.op('Cast', 'Cast', [mask], { to: 6 }), g.ints([1])], { keepdims: 0 });
  const seqlensK = s.op('Sub', 'Sub', [sum, g.scalar(1, 'int32')]);
  const t = s.op('Gather', 'Gather', [s.op('Shape', 'Shape', [mask]), g.scalar(1, 'int64')], { axis: 0 });
  return { seqlensK, totalLen: s.op('Cast', 'Cast_total', [t], { to: 6 }) };
}

/**
 * The last k rows of x (B, S, H) for num_logits_to_keep = k (clamped to S), every row for k = 0, none for k < 0
 * (the slice then starts past the end): the engine's chunked prefill asks for none until its last chunk
 * (src/model-folder/graph-io.ts NO_LOGITS).
 */
function emitKeepLast(g: Graph, x: Value, k: Value): Value {
  const s = g.at('/model/num_logits_to_keep');
  const len = s.op('Shape', 'Shape', [x], { start: 1, end: 2 }); // [S]
  const k1 = s.op('Reshape', 'Reshape', [k, g.ints([1])]); // [k]
  const keep = s.op('Min', 'Min', [s.op('Where', 'Where', [s.op('Equal', 'Equal', [k1, g.ints([0])]), len, k1]), len]);
  return s.op('Slice', 'Slice', [x, s.op('Sub', 'Sub', [len, keep]), len, g.ints([1])]);
}

/**
 * The residual add folded into the RMSNorm that follows it (genai-style), for checkpoint norm `${prefix}.weight`:
 *   h += pending; y = RMSNorm(h)   — SkipSimplifiedLayerNormalization (outputs y and the new h)
 *   y = RMSNorm(h)                 — SimplifiedLayerNormalization, when no block output is pending (layer 0)
 * x (B, S, H)
 */
async function emitAddNorm(g: Graph, ctx: EmitContext, cfg: TextConfig, path: string, prefix: string, h: Value, pending: Value | null): Promise<{ y: Value; h: Value }> {
  const weight = g.weight(`${prefix}.weight`, f32Tensor(await ctx.w.get(`${prefix}.weight`, [cfg.hiddenSize])));
  const epsilon = { float: cfg.rmsNormEps };
  if (!pending) return { y: g.node('SimplifiedLayerNormalization', path, [h, weight], { axis: -1, epsilon })[0], h };
  const [y, , , sum] = g.node('SkipSimplifiedLayerNormalization', path, [pending, h, weight], { epsilon }, [`${path}/output_0`, '', '', `${path}/output_3`], 'com.microsoft');
  return { y, h: sum };
}

/**
 * Qwen2_5_VLAttention on normed x (B, S, H):
 *   q/k/v_proj (+bias) ─► RotaryEmbedding(q), RotaryEmbedding(k) ─► GroupQueryAttention(past) ─► o_proj
 *                                                                        └─► present.{i}.key / .value (B, kvh, T, hd)
 */
async function emitAttention(g: Graph, ctx: EmitContext, cfg: TextConfig, i: number, x: Value, past: KV, sh: Shared): Promise<{ out: Value; present: KV }> {
  const s = g.at(`/model/layers.${i}/attn`);
  const p = `model.layers.${i}.self_attn`;
  const proj = (name: string) => linear(ctx, s, name, x, `${p}.${name}`, { bias: true });
  const rope = (name: string, v: Value, heads: number) => s.ms('RotaryEmbedding', name, [v, sh.ropeIds, sh.cos, sh.sin], { num_heads: heads, interleaved: 0 })[0];
  const q = rope('q_rotary', await proj('q_proj'), cfg.numHeads); // (B, S, nh·hd)
  const k = rope('k_rotary', await proj('k_proj'), cfg.numKvHeads); // (B, S, kvh·hd)
  const v = await proj('v_proj'); // (B, S, kvh·hd)
  const path = `${s.path}/GroupQueryAttention`;
  const [o, presentK, presentV] = g.node(
    'GroupQueryAttention', path,
    [q, k, v, past.key, past.value, sh.seqlensK, sh.totalLen],
    { num_heads: cfg.numHeads, kv_num_heads: cfg.numKvHeads, scale: { float: 1 / Math.sqrt(cfg.headDim) } },
    [`${path}/output_0`, `present.${i}.key`, `present.${i}.value`], 'com.microsoft',
  );
  return { out: await linear(ctx, s, 'o_proj', o, `${p}.o_proj`, { bias: false }), present: { key: presentK, value: presentV } }; // (B, S, H)
}

/** Qwen2MLP on normed x (B, S, H): down_proj(silu(gate_proj x) · up_proj x), silu = x·sigmoid(x). */
async function emitMlp(g: Graph, ctx: EmitContext, i: number, x: Value): Promise<Value> {
  const s = g.at(`/model/layers.${i}/mlp`);
  const p = `model.layers.${i}.mlp`;
  const gate = await linear(ctx, s, 'gate_proj', x, `${p}.gate_proj`, { bias: false }); // (B, S, I)
  const up = await linear(ctx, s, 'up_proj', x, `${p}.up_proj`, { bias: false }); // (B, S, I)
  const act = s.op('Mul', 'silu/Mul', [gate, s.op('Sigmoid', 'silu/Sigmoid', [gate])]);
  return linear(ctx, s, 'down_proj', s.op('Mul', 'Mul', [act, up]), `${p}.down_proj`, { bias: false }); // (B, S, H)
}

/**
 * One Qwen2_5_VLDecoderLayer on the residual stream h (B, S, H), with the previous block's output still pending:
 *   h += pending ─RMSNorm(input_layernorm)─► attn ─► h += attn ─RMSNorm(post_attention_layernorm)─► mlp ─► pending
 */
async function emitBlock(g: Graph, ctx: EmitContext, cfg: TextConfig, i: number, h: Value, pending: Value | null, past: KV, sh: Shared): Promise<{ pending: Value; h: Value; present: KV }> {
  const at = `/model/layers.${i}`, p = `model.layers.${i}`;
  const pre = await emitAddNorm(g, ctx, cfg, `${at}/input_layernorm`, `${p}.input_layernorm`, h, pending);
  const attn = await emitAttention(g, ctx, cfg, i, pre.y, past, sh);
  const post = await emitAddNorm(g, ctx, cfg, `${at}/post_attention_layernorm`, `${p}.post_attention_layernorm`, pre.h, attn.out);
  return { pending: await emitMlp(g, ctx, i, post.y), h: post.h, present: attn.present };
}

/**
 *   inputs_embeds ─► layer 0 ─► layer 1 … ─► (h += pending) RMSNorm(model.norm) ─► last num_logits_to_keep rows
 *   ─► lm_head ─► logits (B, L, V)
 *   position_ids ─► rotary tables;  attention_mask ─► seqlens_k, total_sequence_length
 */
export async function emitDecoder(g: Graph, ctx: EmitContext, cfg: TextConfig): Promise<void> {
  if (cfg.numLayers < 1) throw new Error(`decoder: num_hidden_layers = ${cfg.numLayers}, need at least 1`);
  const io = decoderIO(cfg);
  const inp = declareInputs(g, io);
  const presents: KV[] = [];
  const sh: Shared = { ...emitRotaryTables(g, cfg, inp.position_ids, inp.inputs_embeds), ...emitSequenceLengths(g, inp.attention_mask) };
  let h = inp.inputs_embeds; // residual stream (B, S, H)
  let pending: Value | null = null; // the last block's output, added to h by the next norm
  for (let i = 0; i < cfg.numLayers; i++) {
    const block = await emitBlock(g, ctx, cfg, i, h, pending, { key: inp[`past_key_values.${i}.key`], value: inp[`past_key_values.${i}.value`] }, sh);
    ({ h, pending } = block);
    presents.push(block.present);
  }
  const final = await emitAddNorm(g, ctx, cfg, '/model/norm', 'model.norm', h, pending);
  const kept = emitKeepLast(g, final.y, inp.num_logits_to_keep); // (B, L, H)
  declareOutput(g, io, 'logits', await linear(ctx, g.at('/model'), 'lm_head', kept, lmHeadWeights(ctx.w, cfg), { bias: false }));
  presents.forEach((kv, i) => {
    declareOutput(g, io, `present.${i}.key`, kv.key);
    declareOutput(g, io, `present.${i}.value`, kv.value);
  });
}
