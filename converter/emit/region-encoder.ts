// region_encoder: HFRE + region projector as one ONNX graph, one LLM embedding per box. Source:
// vlm_fo1/model/multimodal_visual_prompt_encoder/{hybrid_finegrained_region_encoder.py, simple_fpn.py},
// multimodal_projector/builder.py (build_vision_projector_aux); spec §2.2–2.5. Oracle:
// reference/region-encoder.ts.
//
// No RoiAlign (ORT's WebGPU EP has no kernel) and no 3840-channel stride-4 concat map (≈4 GB at 2048²):
// RoIAlign-mean is linear in the map, so the engine (src/engine/regions/) computes per-level sampling
// weights W_l (K, H_l·W_l) — with the aux branch's bilinear upsampling folded in, so they address each
// DaViT level at its own resolution — and the graph does one Gemm per level.
//
//   davit_stage{l} (1, C_l, H_l, W_l) ─Reshape→ (C_l, H_l·W_l) ┐
//   aux_roi_weights_{l} (K, H_l·W_l) ───────────── Gemm(B ᵀ) ───┴→ (K, C_l) ─┐ ×4  Concat → aux (K, ΣC_l) [→ LN aux_region_norm]
//   vt_map (1, Cv, gh, gw) ─SimpleFP→ P_l (1, out, h_l, w_l) ─Reshape→ (out, h_l·w_l) ┐
//   vt_roi_weights_{l} (K, h_l·w_l) ──────────────────────────── Gemm(B ᵀ) ──────────┴→ (K, out) ×4
//                                                                     Concat → vt (K, 4·out) [→ LN vt_region_norm]
//   Concat(aux, vt) (K, D) + box_embedding (K, D) → mm_projector_aux → region_embeds (K, hidden)
//
// SimpleFP (simple_fpn.py, norm="LN"; the LN is a channel LayerNorm, eps 1e-6; normed convs have no bias):
//   simfp_1: ConvT k2s2 → LN → GELU → ConvT k2s2 → Conv1×1+LN → Conv3×3+LN   (stride 3.5)
//   simfp_2: ConvT k2s2 → Conv1×1+LN → Conv3×3+LN                            (stride 7)
//   simfp_3: Conv1×1+LN → Conv3×3+LN                                         (stride 14)
//   simfp_4: MaxPool k2s2 → Conv1×1+LN → Conv3×3+LN                          (stride 28)

import type { ValueInfo } from '../onnx/proto.ts';
import type { Graph, Scope, Value } from '../onnx/graph.ts';
import { ConfigError, PREFIX, type DavitConfig, type RegionConfig } from '../read/config.ts';
import { denseWeight, f32Tensor, linear, type EmitContext } from './linear.ts';

const LEVELS = 4;
const SIMPLE_FPN = `${PREFIX.hfre}simple_fpn`;

export const auxWeightsName = (l: number): string => `aux_roi_weights_${l}`;
export const vtWeightsName = (l: number): string => `vt_roi_weights_${l}`;

export const REGION_ENCODER_IO: { inputs: ValueInfo[]; outputs: ValueInfo[] } = {
  inputs: [
    // ViT block-31 pre-merger map in raster order (the vision_semantic graph's last level).
    { name: 'vt_map', dtype: 'float32', dims: [1, 'vt_channels', 'grid_h', 'grid_w'] },
    // vision_perception's stage maps, strides 4, 8, 16, 32.
    ...Array.from({ length: LEVELS }, (_, l): ValueInfo => ({ name: `davit_stage${l}`, dtype: 'float32', dims: [1, `stage${l}_channels`, `stage${l}_height`, `stage${l}_width`] })),
    // RoIAlign-mean weights over each DaViT level at its own size (upsampling to F0 folded in).
    ...Array.from({ length: LEVELS }, (_, l): ValueInfo => ({ name: auxWeightsName(l), dtype: 'float32', dims: ['num_regions', `stage${l}_pixels`] })),
    // RoIAlign-mean weights over each SimpleFP level: (4gh·4gw), (2gh·2gw), (gh·gw), (⌊gh/2⌋·⌊gw/2⌋).
    ...Array.from({ length: LEVELS }, (_, l): ValueInfo => ({ name: vtWeightsName(l), dtype: 'float32', dims: ['num_regions', `fpn${l}_pixels`] })),
    // y-first sine embedding of the vt boxes (spec §2.4).
    { name: 'box_embedding', dtype: 'float32', dims: ['num_regions', 'region_hidden_size'] },
  ],
  outputs: [{ name: 'region_embeds', dtype: 'float32', dims: ['num_regions', 'hidden_size'] }],
};

export interface RegionEncoderConfig {
  region: RegionConfig;
  davit: DavitConfig;
}

/** Intermediate values a test may expose as extra outputs (the golden's region_features[_no_pos]). */
export interface RegionEncoderValues {
  featuresNoPos: Value; // (K, D)
  features: Value; // (K, D)
}

export async function emitRegionEncoder(g: Graph, ctx: EmitContext, cfg: RegionEncoderConfig): Promise<RegionEncoderValues> {
  const { region, davit } = cfg;
  if (!region.applyPositionEmbedding) throw new ConfigError('config.json: unsupported mm_apply_position_embedding = false (the region graph always adds box_embedding)');
  if (davit.dimEmbed.length !== LEVELS) throw new Error(`region_encoder: DaViT has ${davit.dimEmbed.length} stages, HFRE pools exactly ${LEVELS}`);
  const inputs = new Map(REGION_ENCODER_IO.inputs.map((i) => [i.name, g.input(i.name, i.dtype, i.dims)]));
  const input = (name: string) => inputs.get(name)!;
  const s = g.at('/object_vp_extractor');

  // Aux branch (L318-366): pooled per DaViT level, concatenated in level order.
  const auxPooled = davit.dimEmbed.map((C, l) => emitRoiPool(s.at(`aux_pool.${l}`), input(`davit_stage${l}`), input(auxWeightsName(l)), C));
  let aux = s.op('Concat', 'aux/Concat', auxPooled, { axis: 1 }); // (K, ΣC_l)
  // ViT branch (extract_vt_region_feature, variant A).
  const levels = await emitSimpleFpn(g, ctx, region.simpleFpnLayerNormEps, input('vt_map'));
  const out = region.simpleFpnOutChannels;
  const vtPooled = levels.map((p, l) => emitRoiPool(s.at(`vt_pool.${l}`), p, input(vtWeightsName(l)), out));
  let vt = s.op('Concat', 'vt/Concat', vtPooled, { axis: 1 }); // (K, 4·out)
  if (region.applyRegionLayerNorm) {
    aux = await emitLayerNorm(g, ctx, s.at('aux_region_norm'), aux, `${PREFIX.hfre}aux_region_norm`, region.regionLayerNormEps);
    vt = await emitLayerNorm(g, ctx, s.at('vt_region_norm'), vt, `${PREFIX.hfre}vt_region_norm`, region.regionLayerNormEps);
  }
  const features = s.op('Concat', 'Concat', [aux, vt], { axis: 1 }); // (K, D): aux first
  const withPos = s.op('Add', 'box_embedding/Add', [features, input('box_embedding')]); // (K, D)
  const embeds = await emitProjectorAux(g.at('/mm_projector_aux'), ctx, region, withPos); // (K, hidden)
  g.output(embeds, 'region_embeds', 'float32', REGION_ENCODER_IO.outputs[0].dims);
  return { featuresNoPos: features, features: withPos };
}

/** pooled (K, C) = weights (K, H·W) · map(C, H·W)ᵀ — RoIAlign + mean over bins, as one Gemm. */
function emitRoiPool(s: Scope, map: Value, weights: Value, C: number): Value {
  const flat = s.op('Reshape', 'Reshape', [map, s.graph.ints([C, -1])]); // (C, H·W)
  return s.op('Gemm', 'Gemm', [weights, flat], { transB: 1 }); // (K, C)
}

/** nn.LayerNorm over the last dim (the region norms; eps from the config). x (K, C) */
async function emitLayerNorm(g: Graph, ctx: EmitContext, s: Scope, x: Value, prefix: string, eps: number): Promise<Value> {
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

/** build_vision_projector_aux: 'linear' = Linear(D, hidden); 'mlp2x_gelu' = Linear → GELU → Linear. x (K, D) */
async function emitProjectorAux(s: Scope, ctx: EmitContext, region: RegionConfig, x: Value): Promise<Value> {
  const p = PREFIX.projAux.slice(0, -1); // 'model.mm_projector_aux'
  if (region.projectorAuxType === 'linear') return linear(ctx, s, 'linear', x, p, { bias: true });
  const h = s.ms('Gelu', '1/Gelu', [await linear(ctx, s, '0', x, `${p}.0`, { bias: true })])[0]; // (K, hidden)
  return linear(ctx, s, '2', h, `${p}.2`, { bias: true }); // (K, hidden)
}
