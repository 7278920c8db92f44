// vision_semantic: the Qwen2.5-VL ViT with FO1's gather, as one ONNX graph (docs/model.md "Components").
// Math from vlm_fo1/model/multimodal_encoder/qwen2_5_vl/modeling_qwen2_5_vl.py
// (Qwen2_5_VisionTransformerPretrainedModel.forward, Qwen2_5_VLVisionBlock, Qwen2_5_VLPatchMerger) and
// qwen2_5_vl_encoder.py (custom_forward + VisionFeaturesGather); reference/vision-semantic.ts is the oracle.
//
// Tokens stay in the processor's merge-grouped order throughout (see src/engine/encoders/vit-layout.ts):
// the reference's window permutation only matters to windowed attention, which gathers its windows
// through `window_index`. Everything position-dependent is a graph input computed by vitLayout().
//
//   pixel_values (N, 1176) ─ patch_embed (MatMul) ─ x (N, C)
//     32 × block: x += proj(attn(rmsnorm1(x)));  x += mlp(rmsnorm2(x))
//          windowed blocks ← window_index / window_bias / window_scatter,  all ← rope_cos / rope_sin
//          after the last full-attention block: Gather(raster_index) ─ Transpose ─ vt_map (1, C, gh, gw)
//   merger: rmsnorm ─ (N/4, 4C) ─ Linear ─ GELU ─ Linear ─ mm_projector ─ image_embeds (N/4, D)

import type { Dim } from '../../src/onnx/proto.ts';
import type { Graph, Scope, Value } from '../../src/onnx/graph.ts';
import type { WeightSource } from '../read/checkpoint.ts';
import { PREFIX } from '../read/config.ts';
import type { ProjectorType, VisionConfig } from '../../src/model-folder/config.ts';
import { VISION_SEMANTIC_IO } from '../../src/model-folder/graph-io.ts';
import { ATTENTION_SCORES_PER_CHUNK } from '../../src/model-folder/attention-chunk.ts';
import { viewAs } from '../read/tensor.ts';
import { f32Tensor, linear, type EmitContext } from './linear.ts';

/** What the graph depends on: the ViT and the image-token projector after its merger. */
export interface VisionSemanticConfig {
  vision: VisionConfig;
  projectorType: ProjectorType;
}

/** Graph-wide values every block reads. */
interface Shared {
  cos: Value; // (N, 1, 1, hd) broadcasts over (q|k, heads)
  sin: Value;
  windowIndex: Value; // (nW, S)
  windowBias: Value; // (nW, 1, 1, S)
  windowScatter: Value; // (N)
  /** Full attention's bound on scores per MultiHeadAttention call (ATTENTION_SCORES_PER_CHUNK unless a test asks). */
  scoresPerChunk: number;
}

const P = PREFIX.vit.slice(0, -1); // model.vision_tower.image_tower

/** A view of the weights where the Conv3d patch kernel (C, 3, 2, 14, 14) reads as a Linear (C, 1176). */
function withFlatPatchKernel(w: WeightSource, v: VisionConfig): WeightSource {
  const name = `${P}.patch_embed.proj.weight`;
  const K = v.inChannels * v.temporalPatchSize * v.patchSize ** 2;
  return {
    has: (n) => w.has(n),
    names: () => w.names(),
    shape: (n) => (n === name ? [v.hiddenSize, K] : w.shape(n)),
    get: async (n, expected) => (n === name ? viewAs(await w.get(n, [v.hiddenSize, v.inChannels, v.temporalPatchSize, v.patchSize, v.patchSize]), [v.hiddenSize, K]) : w.get(n, expected)),
  };
}

/**
 * Qwen2RMSNorm over the last dim, x · rsqrt(mean(x²) + eps) · w, as one SimplifiedLayerNormalization (the op the
 * decoder's norms use): fused on WebGPU, and kept whole in float32 by the float16 pass (src/onnx/float16.ts), where
 * a separate x² in float16 would overflow for |x| > 256.
 */
async function emitRmsNorm(ctx: EmitContext, s: Scope, x: Value, weight: string, C: number, eps: number): Promise<Value> {
  const w = s.graph.weight(weight, f32Tensor(await ctx.w.get(weight, [C])));
  return s.op('SimplifiedLayerNormalization', 'SimplifiedLayerNormalization', [x, w], { axis: -1, epsilon: { float: eps } });
}

/** apply_rotary_pos_emb_vision: x·cos + rotate_half(x)·sin, rotate_half(x) = cat(−x₂, x₁). x (N, 2, nh, hd). */
function emitRope(s: Scope, x: Value, sh: Shared, hd: number): Value {
  const g = s.graph;
  const [x1, x2] = s.multi('Split', 'Split', [x, g.ints([hd / 2, hd / 2])], { axis: -1 }, 2);
  const rot = s.op('Concat', 'RotateHalf', [s.op('Neg', 'Neg', [x2]), x1], { axis: -1 });
  return s.op('Add', 'Add', [s.op('Mul', 'MulCos', [x, sh.cos]), s.op('Mul', 'MulSin', [rot, sh.sin])]);
}

/**
 * Windowed attention, batched over padded windows (no N×N mask):
 *   qkv (N, 3, nh, hd) ─ Gather(window_index) ─ (nW, S, 3, nh, hd) ─ Transpose ─ q, k, v (nW, nh, S, hd)
 *   softmax(q kᵀ/√hd + window_bias) v ─ (nW, S, C) ─ flatten ─ Gather(window_scatter) ─ (N, C)
 */
function emitWindowAttention(s: Scope, qkv: Value, sh: Shared, C: number, hd: number): Value {
  const g = s.graph;
  const win = s.op('Gather', 'GatherWindows', [qkv, sh.windowIndex], { axis: 0 }); // (nW, S, 3, nh, hd)
  const t = s.op('Transpose', 'ToHeads', [win], { perm: [2, 0, 3, 1, 4] }); // (3, nW, nh, S, hd)
  const [q, k, v] = s.multi('Split', 'SplitQKV', [t, g.ints([1, 1, 1])], { axis: 0 }, 3).map((x, i) => s.op('Squeeze', `Squeeze_${'qkv'[i]}`, [x, g.ints([0])])); // (nW, nh, S, hd)
  const qs = s.op('Mul', 'ScaleQ', [q, g.scalar(1 / Math.sqrt(hd))]);
  const scores = s.op('MatMul', 'QK', [qs, s.op('Transpose', 'KT', [k], { perm: [0, 1, 3, 2] })]); // (nW, nh, S, S)
  const probs = s.op('Softmax', 'Softmax', [s.op('Add', 'Mask', [scores, sh.windowBias])], { axis: -1 });
  const out = s.op('Transpose', 'FromHeads', [s.op('MatMul', 'PV', [probs, v])], { perm: [0, 2, 1, 3] }); // (nW, S, nh, hd)
  const flat = s.op('Reshape', 'Flatten', [out, g.ints([-1, C])]); // (nW·S, C)
  return s.op('Gather', 'ScatterBack', [flat, sh.windowScatter], { axis: 0 }); // (N, C)
}

/**
 * Full attention over all N patches with com.microsoft MultiHeadAttention (CPU and WebGPU kernels), over
 * chunks of queries against every key so that no call holds more than ATTENTION_SCORES_PER_CHUNK scores:
 *   qkv (N, 3, nh, hd) ─ Split ─ q, k, v (1, N, C)
 *   chunk = min(N, ⌊2^26 / (nh·N)⌋) queries (N below 2048 patches at nh = 16: one chunk, the whole image)
 *   q ─ Pad to nChunks·chunk rows ─ (nChunks, 1, chunk, C) ─ Scan: MHA(q_chunk, k, v) ─ (nChunks·chunk, C) ─ Slice ─ (N, C)
 * Softmax is over keys, which every chunk sees whole, so this is the same function; zero pad queries are
 * computed and dropped. WebGPU's flash-attention path (no (nh, N, N) tensor either) wants batch 1, no bias,
 * head_dim % 4 = 0 and (in ORT 1.2x-1.3x) the present_key/present_value outputs wired, so the body's node
 * declares them (chunk·C floats each, unused).
 */
function emitFullAttention(s: Scope, qkv: Value, C: number, nh: number, scoresPerChunk: number): Value {
  const g = s.graph;
  const [q, k, v] = s.multi('Split', 'SplitQKV', [qkv, g.ints([1, 1, 1])], { axis: 1 }, 3).map((x, i) => s.op('Reshape', `To3D_${'qkv'[i]}`, [x, g.ints([1, -1, C])]));
  const n = s.op('Gather', 'N', [s.op('Shape', 'ShapeQ', [q]), g.ints([1])], { axis: 0 }); // (1) = [N]
  const chunk = s.op('Min', 'Chunk', [n, s.op('Div', 'ChunkForBudget', [g.ints([Math.floor(scoresPerChunk / nh)]), n])]); // (1); ≥ 1 for N ≤ 2^22
  const chunks = s.op('Div', 'NumChunks', [s.op('Sub', 'RoundUp', [s.op('Add', 'NPlusChunk', [n, chunk]), g.ints([1])]), chunk]); // (1) = ⌈N / chunk⌉
  const pad = s.op('Sub', 'PadRows', [s.op('Mul', 'PaddedN', [chunks, chunk]), n]); // (1)
  const padded = s.op('Pad', 'PadQ', [q, s.op('Concat', 'Pads', [g.ints([0, 0, 0, 0]), pad, g.ints([0])], { axis: 0 })]); // (1, nChunks·chunk, C)
  const qChunks = s.op('Reshape', 'QChunks', [padded, s.op('Concat', 'ChunkShape', [g.ints([-1, 1]), chunk, g.ints([C])], { axis: 0 })]); // (nChunks, 1, chunk, C)

  const body = g.subgraph(`${s.path}/chunk`);
  const qc = body.input(`${s.path}/chunk/q`, 'float32', [1, 'chunk', C]);
  const [out] = body.at(s.path).ms('MultiHeadAttention', 'chunk/MultiHeadAttention', [qc, k, v], { num_heads: nh }, 3); // (1, chunk, C), present k, v
  body.output(out, `${s.path}/chunk/out`, 'float32', [1, 'chunk', C]);
  const scanned = s.op('Scan', 'Chunks', [qChunks], { body: { graph: body.proto() }, num_scan_inputs: 1 }); // (nChunks, 1, chunk, C)
  const rows = s.op('Reshape', 'To2D', [scanned, g.ints([-1, C])]); // (nChunks·chunk, C)
  return s.op('Slice', 'DropPad', [rows, g.ints([0]), n, g.ints([0])]); // (N, C)
}

/** Qwen2_5_VLVisionAttention: qkv (bias) → 2-D RoPE on q, k → windowed or full attention → proj. */
async function emitAttention(ctx: EmitContext, s: Scope, x: Value, prefix: string, sh: Shared, v: VisionConfig, full: boolean): Promise<Value> {
  const g = s.graph;
  const C = v.hiddenSize, nh = v.numHeads, hd = C / nh;
  const qkv = await linear(ctx, s, 'qkv', x, `${prefix}.qkv`, { bias: true }); // (N, 3C)
  const heads = s.op('Reshape', 'SplitHeads', [qkv, g.ints([-1, 3, nh, hd])]); // (N, 3, nh, hd)
  const [qk, vv] = s.multi('Split', 'SplitQK_V', [heads, g.ints([2, 1])], { axis: 1 }, 2);
  const roped = s.op('Concat', 'QKV', [emitRope(s.at('rope'), qk, sh, hd), vv], { axis: 1 }); // (N, 3, nh, hd)
  const out = full ? emitFullAttention(s.at('full'), roped, C, nh, sh.scoresPerChunk) : emitWindowAttention(s.at('window'), roped, sh, C, hd);
  return linear(ctx, s, 'proj', out, `${prefix}.proj`, { bias: true });
}

/** Qwen2_5_VLMLP (bias): down(silu(gate(x)) · up(x)). */
async function emitMlp(ctx: EmitContext, s: Scope, x: Value, prefix: string): Promise<Value> {
  const gate = await linear(ctx, s, 'gate_proj', x, `${prefix}.gate_proj`, { bias: true });
  const up = await linear(ctx, s, 'up_proj', x, `${prefix}.up_proj`, { bias: true });
  const act = s.op('Mul', 'SiLU', [gate, s.op('Sigmoid', 'Sigmoid', [gate])]);
  return linear(ctx, s, 'down_proj', s.op('Mul', 'GateUp', [act, up]), `${prefix}.down_proj`, { bias: true });
}

/** Qwen2_5_VLVisionBlock: x += attn(norm1(x)); x += mlp(norm2(x)). */
async function emitBlock(ctx: EmitContext, g: Graph, x: Value, i: number, sh: Shared, v: VisionConfig): Promise<Value> {
  const s = g.at(`/vision_tower/blocks.${i}`);
  const prefix = `${P}.blocks.${i}`;
  const full = v.fullattBlockIndexes.includes(i);
  const n1 = await emitRmsNorm(ctx, s.at('norm1'), x, `${prefix}.norm1.weight`, v.hiddenSize, v.rmsNormEps);
  const h = s.op('Add', 'AttnResidual', [x, await emitAttention(ctx, s.at('attn'), n1, `${prefix}.attn`, sh, v, full)]);
  const n2 = await emitRmsNorm(ctx, s.at('norm2'), h, `${prefix}.norm2.weight`, v.hiddenSize, v.rmsNormEps);
  return s.op('Add', 'MlpResidual', [h, await emitMlp(ctx, s.at('mlp'), n2, `${prefix}.mlp`)]);
}

/** Qwen2_5_VLPatchMerger: RMSNorm → (N/4, 4C) → Linear → GELU → Linear. */
async function emitMerger(ctx: EmitContext, g: Graph, x: Value, v: VisionConfig): Promise<Value> {
  const s = g.at('/vision_tower/merger');
  const C = v.hiddenSize, unit = v.spatialMergeSize ** 2;
  const n = await emitRmsNorm(ctx, s.at('ln_q'), x, `${P}.merger.ln_q.weight`, C, v.rmsNormEps);
  const grouped = s.op('Reshape', 'Group', [n, g.ints([-1, unit * C])]); // (N/4, 4C): 2×2 patches are consecutive
  const h = s.ms('Gelu', 'Gelu', [await linear(ctx, s, 'mlp.0', grouped, `${P}.merger.mlp.0`, { bias: true })])[0];
  return linear(ctx, s, 'mlp.2', h, `${P}.merger.mlp.2`, { bias: true });
}

/** build_vision_projector on image tokens (model.mm_projector.*): identity, linear or mlp2x_gelu. */
async function emitProjector(ctx: EmitContext, g: Graph, x: Value, type: VisionSemanticConfig['projectorType']): Promise<Value> {
  const s = g.at('/mm_projector');
  const p = PREFIX.proj.slice(0, -1);
  switch (type) {
    case 'identity':
      return x;
    case 'linear':
      return linear(ctx, s, 'linear', x, p, { bias: true });
    case 'mlp2x_gelu': {
      const h = s.ms('Gelu', 'Gelu', [await linear(ctx, s, '0', x, `${p}.0`, { bias: true })])[0];
      return linear(ctx, s, '2', h, `${p}.2`, { bias: true });
    }
  }
}

/** FO1's gather: (N, C) processor order → Gather(raster_index (gh, gw)) → (gh, gw, C) → (1, C, gh, gw). */
function emitVtMap(g: Graph, x: Value, rasterIndex: Value): Value {
  const s = g.at('/vt_map');
  const raster = s.op('Gather', 'Gather', [x, rasterIndex], { axis: 0 }); // (gh, gw, C)
  return s.op('Unsqueeze', 'Unsqueeze', [s.op('Transpose', 'ToCHW', [raster], { perm: [2, 0, 1] }), g.ints([0])]);
}

/** Dimensions of the contract's symbolic names that the config fixes. */
function fixedDims(v: VisionConfig, embedDim: number): Record<string, number> {
  return { patch_dim: v.inChannels * v.temporalPatchSize * v.patchSize ** 2, head_dim: v.hiddenSize / v.numHeads, vision_hidden: v.hiddenSize, embed_dim: embedDim };
}

function checkConfig(v: VisionConfig): void {
  const full = v.fullattBlockIndexes;
  if (full.length === 0) throw new Error('vision_semantic: vision_config.fullatt_block_indexes is empty; FO1 gathers vt_map after the last full-attention block');
  for (const i of full) if (!Number.isInteger(i) || i < 0 || i >= v.depth) throw new Error(`vision_semantic: vision_config.fullatt_block_indexes has ${i}, outside blocks 0…${v.depth - 1}`);
  if (v.hiddenSize % v.numHeads !== 0 || (v.hiddenSize / v.numHeads) % 4 !== 0) throw new Error(`vision_semantic: head_dim = ${v.hiddenSize}/${v.numHeads} must be a whole multiple of 4 for 2-D RoPE`);
}

/** Output width after the projector: the merger's, or the projector's last Linear. */
function embedDim(w: WeightSource, cfg: VisionSemanticConfig): number {
  const p = PREFIX.proj.slice(0, -1);
  const last = { identity: null, linear: `${p}.weight`, mlp2x_gelu: `${p}.2.weight` }[cfg.projectorType];
  if (!last) return cfg.vision.outHiddenSize;
  const shape = w.shape(last);
  if (!shape) throw new Error(`vision_semantic: mm_projector_type ${cfg.projectorType} needs tensor ${last}, which the checkpoint lacks`);
  return shape[0];
}

/**
 * Declares vision_semantic's I/O (VISION_SEMANTIC_IO, config-fixed dims filled in) and emits the ViT,
 * the merger, the image-token projector and the vt_map gather. Feed it vitLayout(cfg.vision, gh, gw).feeds.
 * `scoresPerChunk` bounds full attention's memory (tests lower it to make small grids run several chunks).
 */
export async function emitVisionSemantic(g: Graph, ctx: EmitContext, cfg: VisionSemanticConfig, scoresPerChunk = ATTENTION_SCORES_PER_CHUNK): Promise<void> {
  const v = cfg.vision;
  checkConfig(v);
  const sizes = fixedDims(v, embedDim(ctx.w, cfg));
  const dims = (d: readonly Dim[]) => d.map((x) => (typeof x === 'string' && x in sizes ? sizes[x] : x));
  const inputs = Object.fromEntries(VISION_SEMANTIC_IO.inputs.map((i) => [i.name, g.input(i.name, i.dtype, dims(i.dims))]));

  const s = g.at('/vision_tower');
  const hd = v.hiddenSize / v.numHeads;
  const sh: Shared = {
    cos: s.op('Reshape', 'rope/CosHeads', [inputs.rope_cos, g.ints([-1, 1, 1, hd])]),
    sin: s.op('Reshape', 'rope/SinHeads', [inputs.rope_sin, g.ints([-1, 1, 1, hd])]),
    windowIndex: inputs.window_index,
    windowBias: inputs.window_bias,
    windowScatter: inputs.window_scatter,
    scoresPerChunk,
  };

  const patchCtx = { ...ctx, w: withFlatPatchKernel(ctx.w, v) };
  let x = await linear(patchCtx, s, 'patch_embed', inputs.pixel_values, `${P}.patch_embed.proj`, { bias: false }); // (N, C)
  const last = Math.max(...v.fullattBlockIndexes);
  let vtMap: Value = x;
  for (let i = 0; i < v.depth; i++) {
    x = await emitBlock(ctx, g, x, i, sh, v);
    if (i === last) vtMap = emitVtMap(g, x, inputs.raster_index);
  }
  const embeds = await emitProjector(ctx, g, await emitMerger(ctx, g, x, v), cfg.projectorType);

  const [embedsIO, vtIO] = VISION_SEMANTIC_IO.outputs;
  g.output(embeds, embedsIO.name, embedsIO.dtype, dims(embedsIO.dims));
  g.output(vtMap, vtIO.name, vtIO.dtype, dims(vtIO.dims));
}
