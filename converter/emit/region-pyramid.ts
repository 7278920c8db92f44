// region_pyramid: HFRE's SimpleFP over the ViT block-31 map, the box-independent half of the region encoder.
// Source: vlm_fo1/model/multimodal_visual_prompt_encoder/simple_fpn.py (norm="LN"); docs/model.md "Region features", variant A.
// Oracle: reference/simple-fpn.ts.
//
// Why a graph of its own: the pyramid depends on the image alone, yet it is ~99 % of the region encoder's
// time at full size (3×3 convs at 4× the patch grid). As its own graph the engine runs it once per image and
// keeps its levels with the image features (src/engine/model.ts), and a new box set runs only region_encoder
// (pooling + box embedding + projector). Not appended to vision_semantic: that graph is the Qwen ViT (and
// its cost is paid by every question, boxes or not), while these weights are HFRE's; a question without
// boxes never runs the pyramid at all.
//
//   vt_map (1, Cv, gh, gw) ─SimpleFP→ fpn_level0 (1, out, 4gh, 4gw)     stride 3.5
//                                     fpn_level1 (1, out, 2gh, 2gw)     stride 7
//                                     fpn_level2 (1, out, gh, gw)       stride 14
//                                     fpn_level3 (1, out, ⌊gh/2⌋, ⌊gw/2⌋) stride 28
//
// SimpleFP (the LN is a channel LayerNorm, eps from the config; normed convs have no bias):
//   simfp_1: ConvT k2s2 → LN → GELU → ConvT k2s2 → Conv1×1+LN → Conv3×3+LN   (stride 3.5)
//   simfp_2: ConvT k2s2 → Conv1×1+LN → Conv3×3+LN                            (stride 7)
//   simfp_3: Conv1×1+LN → Conv3×3+LN                                         (stride 14)
//   simfp_4: MaxPool k2s2 → Conv1×1+LN → Conv3×3+LN                          (stride 28)

import type { Graph, Scope, Value } from '../../src/onnx/graph.ts';
import { PREFIX } from '../read/config.ts';
import type { RegionConfig } from '../../src/model-folder/config.ts';
import { REGION_PYRAMID_IO } from '../../src/model-folder/graph-io.ts';
import { denseWeight, f32Tensor, type EmitContext } from './linear.ts';

const SIMPLE_FPN = `${PREFIX.hfre}simple_fpn`;
export async function emitRegionPyramid(g: Graph, ctx: EmitContext, region: RegionConfig): Promise<void> {
  const [io] = REGION_PYRAMID_IO.inputs;
  const levels = await emitSimpleFpn(g, ctx, region.simpleFpnLayerNormEps, g.input(io.name, io.dtype, io.dims));
  levels.forEach((v, l) => {
    const info = REGION_PYRAMID_IO.outputs[l];
    g.output(v, info.name, info.dtype, info.dims);
  });
}

/** nn.LayerNorm over the last dim, eps from the config. x (…, C) */
export async function emitLayerNorm(g: Graph, ctx: EmitContext, s: Scope, x: Value, prefix: string, eps: number): Promise<Value> {
  const w = g.weight(`${prefix}.weight`, f32Tensor(await ctx.w.get(`${prefix}.weight`)));
  const b = g.weight(`${prefix}.bias`, f32Tensor(await ctx.w.get(`${prefix}.bias`)));
  return s.op('LayerNormalization', 'LayerNormalization', [x, w, b], { axis: -1, epsilon: { float: eps } });
}

/**
 * simple_fpn.py LayerNorm over channels of an NCHW map: to NHWC, LayerNormalization(axis −1), back.
 * (ORT's WebGPU EP runs convs NHWC, so its layout pass can cancel these transposes.)
 */
async function emitChannelLayerNorm(g: Graph, ctx: EmitContext, s: Scope, x: Value, prefix: string, eps: number): Promise<Value> {
  const nhwc = s.op('Transpose', 'to_nhwc', [x], { perm: [0, 2, 3, 1] }); // (1, H, W, C)
  const y = await emitLayerNorm(g, ctx, s, nhwc, prefix, eps);
  return s.op('Transpose', 'to_nchw', [y], { perm: [0, 3, 1, 2] }); // (1, C, H, W)
}

/** nn.ConvTranspose2d(k=2, s=2) with bias: (1, Cin, H, W) → (1, Cout, 2H, 2W). */
async function emitUpsample2x(g: Graph, ctx: EmitContext, s: Scope, x: Value, prefix: string): Promise<Value> {
  const w = await ctx.w.get(`${prefix}.weight`); // (Cin, Cout, 2, 2)
  const W = denseWeight(ctx, s, `${prefix}.weight`, w);
  const b = g.weight(`${prefix}.bias`, f32Tensor(await ctx.w.get(`${prefix}.bias`, [w.shape[1]])));
  return s.op('ConvTranspose', 'ConvTranspose', [x, W, b], { kernel_shape: [2, 2], strides: [2, 2] });
}

/** simple_fpn.py Conv2d(bias=False, norm=LN): k×k conv (pad k//2) → channel LayerNorm. */
async function emitConvNorm(g: Graph, ctx: EmitContext, s: Scope, x: Value, prefix: string, eps: number): Promise<Value> {
  const w = await ctx.w.get(`${prefix}.weight`); // (Cout, Cin, k, k)
  const k = w.shape[2], p = Math.floor(k / 2);
  const y = s.op('Conv', 'Conv', [x, denseWeight(ctx, s, `${prefix}.weight`, w)], { kernel_shape: [k, k], pads: [p, p, p, p] });
  return emitChannelLayerNorm(g, ctx, s.at('norm'), y, `${prefix}.norm`, eps);
}

/** SimpleFP over vt_map (1, Cv, gh, gw) → P1..P4 at ×4, ×2, ×1, ×½ (see the diagram above). */
export async function emitSimpleFpn(g: Graph, ctx: EmitContext, eps: number, x: Value): Promise<Value[]> {
  const at = (stage: number, i: number) => ({ s: g.at(`/object_vp_extractor/simple_fpn/simfp_${stage}/${i}`), p: `${SIMPLE_FPN}.simfp_${stage}.${i}` });
  const step = async (stage: number, i: number, y: Value, kind: 'up' | 'conv' | 'ln') => {
    const { s, p } = at(stage, i);
    if (kind === 'up') return emitUpsample2x(g, ctx, s, y, p);
    if (kind === 'conv') return emitConvNorm(g, ctx, s, y, p, eps);
    return emitChannelLayerNorm(g, ctx, s, y, p, eps);
  };
  let p1 = await step(1, 0, x, 'up'); // (1, Cv/2, 2gh, 2gw)
  p1 = at(1, 2).s.ms('Gelu', 'Gelu', [await step(1, 1, p1, 'ln')])[0]; // com.microsoft Gelu is the erf form
  p1 = await step(1, 3, p1, 'up'); // (1, Cv/4, 4gh, 4gw)
  p1 = await step(1, 5, await step(1, 4, p1, 'conv'), 'conv'); // (1, out, 4gh, 4gw)
  const p2 = await step(2, 2, await step(2, 1, await step(2, 0, x, 'up'), 'conv'), 'conv'); // (1, out, 2gh, 2gw)
  const p3 = await step(3, 1, await step(3, 0, x, 'conv'), 'conv'); // (1, out, gh, gw)
  const pooled = at(4, 0).s.op('MaxPool', 'MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }); // (1, Cv, ⌊gh/2⌋, ⌊gw/2⌋)
  const p4 = await step(4, 2, await step(4, 1, pooled, 'conv'), 'conv'); // (1, out, ⌊gh/2⌋, ⌊gw/2⌋)
  return [p1, p2, p3, p4];
}
