// vision_perception: the DaViT perception encoder (Florence-2's vision tower) as one ONNX graph,
// pixel_values (1, 3, H, W) → stage0..stage3 (1, C_i, H_i, W_i). Source: VLM-FO1's vendored
// vlm_fo1/model/multimodal_encoder/davit/modeling_davit.py (DaViT.forward_features) and docs/model.md "Components";
// the float32 oracle is reference/vision-perception.ts.
//
// One graph serves every image size: the window padding, window counts and the channel-attention
// scale N^-0.5 are computed in-graph from the runtime shape (Shape/Div/Mul/Sub → Pad, Reshape, Slice),
// once per stage. Only ops that both ORT's CPU EP and its WebGPU EP implement are used; there are no
// loops. Inside a stage the residual stream is channels-last (1, H, W, C), so LayerNorm and the Linears
// read it directly and only the convs transpose to NCHW.
//
//   pixel_values (1, 3, H, W)
//     │ convs.0: Conv k7 s4 p3 → NHWC → LayerNorm
//     ▼
//   x (1, H0, W0, C0) ── blocks.0.j: [SpatialBlock, ChannelBlock] × depth ──► NCHW ──► stage0
//     │ convs.1: LayerNorm → NCHW → Conv k3 s2 p1 → NHWC
//     ▼
//   x (1, H1, W1, C1) ── blocks.1.j … ──► stage1          … likewise for stages 2, 3 (no final norm)

import type { Graph, Scope, Value } from '../../src/onnx/graph.ts';
import { PREFIX } from '../read/config.ts';
import type { DavitConfig } from '../../src/model-folder/config.ts';
import { DAVIT_STAGES, VISION_PERCEPTION_IO } from '../../src/model-folder/graph-io.ts';
import { denseWeight, f32Tensor, linear, type EmitContext } from './linear.ts';

/** Per-stage shape values, computed in-graph from the stage's (1, H, W, C) stream. */
interface StageGeometry {
  C: number;
  /** int64 [H, W] of the stream. */
  hw: Value;
  /** int64 [1, H, W, C]: the stream's own shape. */
  grid: Value;
  /** int64 (8): Pad's pads, (0, 0, 0, 0 | 0, pad_b, pad_r, 0) to whole windows. */
  pads: Value;
  /** int64 [-1, nW, ws, ws, C] and [-1, ws, nW, ws, C]: the window (un)partition reshapes. */
  byWindowRows: Value;
  byWindowCols: Value;
  /** int64 [-1, Hp, Wp, C]: the padded grid. */
  paddedGrid: Value;
  /** float scalar N^-0.5, N = H·W: the channel-attention scale. */
  tokenScale: Value;
}

export async function emitVisionPerception(g: Graph, ctx: EmitContext, cfg: DavitConfig): Promise<void> {
  if (cfg.dimEmbed.length !== DAVIT_STAGES) throw new Error(`vision_perception: DaViT has ${cfg.dimEmbed.length} stages, expected ${DAVIT_STAGES}`);
  cfg.dimEmbed.forEach((C, i) => {
    if (C % cfg.numHeads[i] || C % cfg.numGroups[i]) {
      throw new Error(`vision_perception: stage ${i} width ${C} is not divisible by its ${cfg.numHeads[i]} heads and ${cfg.numGroups[i]} groups`);
    }
  });
  const s = g.at('/image_tower');
  const pixels = g.input('pixel_values', 'float32', VISION_PERCEPTION_IO.inputs[0].dims);
  let x: Value = pixels;
  for (let i = 0; i < DAVIT_STAGES; i++) {
    x = await emitConvEmbed(s.at(`convs.${i}`), ctx, cfg, i, x); // (1, H_i, W_i, C_i)
    const geo = emitStageGeometry(s.at(`stages.${i}`), cfg.dimEmbed[i], cfg.windowSize, x);
    for (let j = 0; j < cfg.depths[i]; j++) {
      const b = `blocks.${i}.${j}`;
      x = await emitSpatialBlock(s.at(`${b}/spatial_block`), ctx, cfg, `${b}.spatial_block`, x, cfg.numHeads[i], geo);
      x = await emitChannelBlock(s.at(`${b}/channel_block`), ctx, cfg, `${b}.channel_block`, x, cfg.numGroups[i], geo);
    }
    const out = VISION_PERCEPTION_IO.outputs[i];
    g.output(s.at(`stages.${i}`).op('Transpose', 'to_nchw', [x], { perm: [0, 3, 1, 2] }), out.name, out.dtype, out.dims); // (1, C, H, W)
  }
}

/**
 * ConvEmbed (NCHW or NHWC in → NHWC out):
 *   stage 0:   (1,3,H,W) ─ Conv ─ Transpose ─ LayerNorm(C)
 *   pre-norm:  (1,H,W,C_in) ─ LayerNorm(C_in) ─ Transpose ─ Conv ─ Transpose
 * The reference applies a pre-norm only to token input (`len(x.size()) == 3`), so a pre-norm on stage 0,
 * which sees the 4-D image, is skipped exactly as there.
 */
async function emitConvEmbed(s: Scope, ctx: EmitContext, cfg: DavitConfig, i: number, x: Value): Promise<Value> {
  const p = `${PREFIX.davit}convs.${i}`;
  const cIn = i === 0 ? 3 : cfg.dimEmbed[i - 1];
  const k = cfg.patchSize[i];
  let img = x;
  if (i > 0) {
    const t = cfg.patchPrenorm[i] ? await emitLayerNorm(s.at('norm'), ctx, cfg, `${p}.norm`, cIn, x) : x;
    img = s.op('Transpose', 'to_nchw', [t], { perm: [0, 3, 1, 2] }); // (1, C_in, H, W)
  }
  const W = denseWeight(ctx, s.at('proj'), `${p}.proj.weight`, await ctx.w.get(`${p}.proj.weight`, [cfg.dimEmbed[i], cIn, k, k]));
  const B = s.graph.weight(`${p}.proj.bias`, f32Tensor(await ctx.w.get(`${p}.proj.bias`, [cfg.dimEmbed[i]])));
  const pad = cfg.patchPadding[i];
  const y = s.at('proj').op('Conv', 'Conv', [img, W, B], { kernel_shape: [k, k], strides: [cfg.patchStride[i], cfg.patchStride[i]], pads: [pad, pad, pad, pad] });
  const t = s.op('Transpose', 'to_nhwc', [y], { perm: [0, 2, 3, 1] }); // (1, H', W', C)
  return cfg.patchPrenorm[i] ? t : emitLayerNorm(s.at('norm'), ctx, cfg, `${p}.norm`, cfg.dimEmbed[i], t);
}

/**
 * The shape arithmetic every block of a stage shares (WindowAttention.forward's pad_r/pad_b, Hp, Wp):
 *   hw = [H, W];  nhw = (hw + ws − 1) / ws;  hwp = nhw · ws;  pad = hwp − hw
 * Integer Div floors, and H, W ≥ 1, so this is the reference's (ws − H % ws) % ws without Mod.
 */
function emitStageGeometry(s: Scope, C: number, ws: number, x: Value): StageGeometry {
  const g = s.graph;
  const hw = s.op('Shape', 'hw', [x], { start: 1, end: 3 }); // [H, W]
  const nhw = s.op('Div', 'windows', [s.op('Add', 'ceil_add', [hw, g.ints([ws - 1])]), g.ints([ws])]); // [nH, nW]
  const hwp = s.op('Mul', 'padded_hw', [nhw, g.ints([ws])]); // [Hp, Wp]
  const padEnd = s.op('Sub', 'pad_end', [hwp, hw]); // [pad_b, pad_r]
  const nW = s.op('Slice', 'nW', [nhw, g.ints([1]), g.ints([2])]); // [nW]
  const concat = (name: string, parts: Value[]) => s.op('Concat', name, parts, { axis: 0 });
  const N = s.op('ReduceProd', 'N', [s.op('Cast', 'hw_f', [hw], { to: 1 /* FLOAT */ })], { keepdims: 0 }); // H·W
  return {
    C,
    hw,
    grid: s.op('Shape', 'grid', [x]),
    pads: concat('pads', [g.ints([0, 0, 0, 0, 0]), padEnd, g.ints([0])]),
    byWindowRows: concat('window_rows_shape', [g.ints([-1]), nW, g.ints([ws, ws, C])]),
    byWindowCols: concat('window_cols_shape', [g.ints([-1, ws]), nW, g.ints([ws, C])]),
    paddedGrid: concat('padded_grid_shape', [g.ints([-1]), hwp, g.ints([C])]),
    tokenScale: s.op('Pow', 'token_scale', [N, g.scalar(-0.5)]),
  };
}

/**
 * SpatialBlock:  x ─┬─ dw ─(+)─┬─ LN ─ WindowAttn ─(+)─┬─ dw ─(+)─┬─ LN ─ MLP ─(+)─►
 *                   └────────┘  └──────────────────────┘  └───────┘  └─────────────┘
 */
async function emitSpatialBlock(s: Scope, ctx: EmitContext, cfg: DavitConfig, name: string, x: Value, heads: number, geo: StageGeometry): Promise<Value> {
  const p = `${PREFIX.davit}${name}`;
  x = await emitDepthwiseResidual(s.at('conv1'), ctx, `${p}.conv1.fn.dw`, geo.C, x);
  const a = await emitLayerNorm(s.at('window_attn/norm'), ctx, cfg, `${p}.window_attn.norm`, geo.C, x);
  x = s.op('Add', 'window_attn/residual', [x, await emitWindowAttention(s.at('window_attn'), ctx, `${p}.window_attn.fn`, a, heads, cfg.windowSize, geo)]);
  x = await emitDepthwiseResidual(s.at('conv2'), ctx, `${p}.conv2.fn.dw`, geo.C, x);
  return emitFfnResidual(s.at('ffn'), ctx, cfg, `${p}.ffn`, geo.C, x);
}

/**
 * ChannelBlock:  x ─┬─ dw ─(+)─┬─ LN ─ ChannelAttn ─(+)─┬─ dw ─(+)─┬─ LN ─ MLP ─(+)─►
 *                   └────────┘  └───────────────────────┘  └───────┘  └─────────────┘
 */
async function emitChannelBlock(s: Scope, ctx: EmitContext, cfg: DavitConfig, name: string, x: Value, groups: number, geo: StageGeometry): Promise<Value> {
  const p = `${PREFIX.davit}${name}`;
  x = await emitDepthwiseResidual(s.at('conv1'), ctx, `${p}.conv1.fn.dw`, geo.C, x);
  const a = await emitLayerNorm(s.at('channel_attn/norm'), ctx, cfg, `${p}.channel_attn.norm`, geo.C, x);
  x = s.op('Add', 'channel_attn/residual', [x, await emitChannelAttention(s.at('channel_attn'), ctx, `${p}.channel_attn.fn`, a, groups, geo)]);
  x = await emitDepthwiseResidual(s.at('conv2'), ctx, `${p}.conv2.fn.dw`, geo.C, x);
  return emitFfnResidual(s.at('ffn'), ctx, cfg, `${p}.ffn`, geo.C, x);
}

/** LayerNorm over the channels of a channels-last tensor (torch nn.LayerNorm). */
async function emitLayerNorm(s: Scope, ctx: EmitContext, cfg: DavitConfig, p: string, C: number, x: Value): Promise<Value> {
  const w = s.graph.weight(`${p}.weight`, f32Tensor(await ctx.w.get(`${p}.weight`, [C])));
  const b = s.graph.weight(`${p}.bias`, f32Tensor(await ctx.w.get(`${p}.bias`, [C])));
  return s.op('LayerNormalization', 'LayerNormalization', [x, w, b], { axis: -1, epsilon: { float: cfg.layerNormEps } });
}

/** x + DepthWiseConv2d(x): (1,H,W,C) ─ Transpose ─ Conv 3×3 p1 groups=C ─ Transpose ─(+ x). */
async function emitDepthwiseResidual(s: Scope, ctx: EmitContext, p: string, C: number, x: Value): Promise<Value> {
  const W = denseWeight(ctx, s, `${p}.weight`, await ctx.w.get(`${p}.weight`, [C, 1, 3, 3]));
  const B = s.graph.weight(`${p}.bias`, f32Tensor(await ctx.w.get(`${p}.bias`, [C])));
  const img = s.op('Transpose', 'to_nchw', [x], { perm: [0, 3, 1, 2] }); // (1, C, H, W)
  const y = s.op('Conv', 'dw/Conv', [img, W, B], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: C });
  return s.op('Add', 'residual', [x, s.op('Transpose', 'to_nhwc', [y], { perm: [0, 2, 3, 1] })]); // (1, H, W, C)
}

/** x + Mlp(LN(x)): fc1 ─ GELU (exact erf) ─ fc2. */
async function emitFfnResidual(s: Scope, ctx: EmitContext, cfg: DavitConfig, p: string, C: number, x: Value): Promise<Value> {
  const h = await emitLayerNorm(s.at('norm'), ctx, cfg, `${p}.norm`, C, x);
  const up = await linear(ctx, s, 'fc1', h, `${p}.fn.net.fc1`, { bias: true }); // (1, H, W, C·mlp_ratio)
  const act = s.ms('Gelu', 'act/Gelu', [up])[0]; // com.microsoft Gelu is the erf form
  const down = await linear(ctx, s, 'fc2', act, `${p}.fn.net.fc2`, { bias: true }); // (1, H, W, C)
  return s.op('Add', 'residual', [x, down]);
}

/**
 * WindowAttention on the normed stream (1, H, W, C), heads nh, head size hd = C/nh, n = ws²:
 *   Pad(0, right/bottom) ─ partition ─ qkv ─ split ─ softmax(q·hd^-0.5 kᵀ) v ─ proj ─ unpartition ─ crop
 * The padded tokens are zeros after the norm, so as keys they carry just the qkv bias — the reference
 * pads after the norm and masks nothing, and so does this.
 */
async function emitWindowAttention(s: Scope, ctx: EmitContext, p: string, x: Value, heads: number, ws: number, geo: StageGeometry): Promise<Value> {
  const { C } = geo;
  const g = s.graph;
  const hd = C / heads;
  const n = ws * ws;
  const padded = s.op('Pad', 'pad', [x, geo.pads, g.scalar(0)]); // (1, Hp, Wp, C)
  // window_partition: (1·nH, ws, nW, ws, C) → (nH, nW, ws, ws, C) → (nWin, n, C)
  const rows = s.op('Reshape', 'partition/split', [padded, geo.byWindowCols]);
  const win = s.op('Reshape', 'partition/flatten', [s.op('Transpose', 'partition/transpose', [rows], { perm: [0, 2, 1, 3, 4] }), g.ints([-1, n, C])]);
  const qkv = await linear(ctx, s, 'qkv', win, `${p}.qkv`, { bias: true }); // (nWin, n, 3C)
  // reshape(B_, n, 3, nh, hd).permute(2, 0, 3, 1, 4) → (3, nWin, nh, n, hd)
  const heads5 = s.op('Transpose', 'qkv/heads', [s.op('Reshape', 'qkv/split', [qkv, g.ints([0, 0, 3, heads, hd])])], { perm: [2, 0, 3, 1, 4] });
  const [q, k, v] = splitQkv(s, heads5); // each (nWin, nh, n, hd)
  const scores = s.op('MatMul', 'scores', [s.op('Mul', 'q_scale', [q, g.scalar(hd ** -0.5)]), s.op('Transpose', 'k/Transpose', [k], { perm: [0, 1, 3, 2] })]); // (nWin, nh, n, n)
  const o = s.op('MatMul', 'attn_v', [s.op('Softmax', 'softmax', [scores], { axis: -1 }), v]); // (nWin, nh, n, hd)
  const merged = s.op('Reshape', 'merge_heads', [s.op('Transpose', 'heads_back', [o], { perm: [0, 2, 1, 3] }), g.ints([0, 0, C])]); // (nWin, n, C)
  const y = await linear(ctx, s, 'proj', merged, `${p}.proj`, { bias: true }); // (nWin, n, C)
  // window_reverse: (nH, nW, ws, ws, C) → (nH, ws, nW, ws, C) → (1, Hp, Wp, C), then x[:, :H, :W]
  const back = s.op('Transpose', 'reverse/transpose', [s.op('Reshape', 'reverse/split', [y, geo.byWindowRows])], { perm: [0, 2, 1, 3, 4] });
  const grid = s.op('Reshape', 'reverse/grid', [back, geo.paddedGrid]);
  return s.op('Slice', 'crop', [grid, g.ints([0, 0]), geo.hw, g.ints([1, 2])]); // (1, H, W, C)
}

/**
 * ChannelAttention on the normed stream (1, H, W, C), groups g, group width dg = C/g, N = H·W tokens:
 *   qkv ─ (3, 1, g, dg, N) ─ softmax(N^-0.5 · qᵀk) (g, dg, dg) ─ · vᵀ ─ (1, H, W, C) ─ proj
 * Scaling the (dg × dg) scores equals the reference's scaling of q, on fewer elements.
 */
async function emitChannelAttention(s: Scope, ctx: EmitContext, p: string, x: Value, groups: number, geo: StageGeometry): Promise<Value> {
  const { C } = geo;
  const g = s.graph;
  const dg = C / groups;
  const qkv = await linear(ctx, s, 'qkv', x, `${p}.qkv`, { bias: true }); // (1, H, W, 3C)
  // reshape(B, N, 3, g, dg), channels before tokens: (3, 1, g, dg, N) gives qᵀ, kᵀ, vᵀ
  const t5 = s.op('Transpose', 'qkv/groups', [s.op('Reshape', 'qkv/split', [qkv, g.ints([0, -1, 3, groups, dg])])], { perm: [2, 0, 3, 4, 1] });
  const [qT, kT, vT] = splitQkv(s, t5); // each (1, g, dg, N)
  const scores = s.op('MatMul', 'scores', [qT, s.op('Transpose', 'k/Transpose', [kT], { perm: [0, 1, 3, 2] })]); // (1, g, dg, dg)
  const attn = s.op('Softmax', 'softmax', [s.op('Mul', 'scale', [scores, geo.tokenScale])], { axis: -1 });
  const oT = s.op('MatMul', 'attn_v', [attn, vT]); // (attn @ vᵀ): (1, g, dg, N)
  // .transpose(-1, -2).transpose(1, 2).reshape(B, N, C), here straight back to the grid
  const o = s.op('Reshape', 'merge_groups', [s.op('Transpose', 'groups_back', [oT], { perm: [0, 3, 1, 2] }), geo.grid]); // (1, H, W, C)
  return linear(ctx, s, 'proj', o, `${p}.proj`, { bias: true });
}

/** qkv[0], qkv[1], qkv[2] along a leading axis of 3. */
function splitQkv(s: Scope, t: Value): [Value, Value, Value] {
  const part = (i: number, name: string) => s.op('Gather', name, [t, s.graph.scalar(i, 'int64')], { axis: 0 });
  return [part(0, 'q/Gather'), part(1, 'k/Gather'), part(2, 'v/Gather')];
}
