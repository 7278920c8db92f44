// region_encoder: HFRE's pooling + region projector as one ONNX graph, one LLM embedding per box — the
// box-dependent half; SimpleFP, which depends on the image alone, is the region_pyramid graph
// (./region-pyramid.ts), run once per image. Source:
// vlm_fo1/model/multimodal_visual_prompt_encoder/hybrid_finegrained_region_encoder.py,
// multimodal_projector/builder.py (build_vision_projector_aux); docs/model.md "Region features". Oracle:
// reference/region-encoder.ts (regionsOnPyramid).
//
// No RoiAlign (ORT's WebGPU EP has no kernel) and no 3840-channel stride-4 concat map (≈4 GB at 2048²):
// RoIAlign-mean is linear in the map, so the engine (src/engine/regions/) computes per-level sampling
// weights W_l (K, H_l·W_l) — with the aux branch's bilinear upsampling folded in, so they address each
// DaViT level at its own resolution — and the graph does one Gemm per level.
//
//   davit_stage{l} (1, C_l, H_l, W_l) ─Reshape→ (C_l, H_l·W_l) ┐
//   aux_roi_weights_{l} (K, H_l·W_l) ───────────── Gemm(B ᵀ) ───┴→ (K, C_l) ─┐ ×4  Concat → aux (K, ΣC_l) [→ LN aux_region_norm]
//   fpn_level{l} (1, out, h_l, w_l) ─Reshape→ (out, h_l·w_l) ┐
//   vt_roi_weights_{l} (K, h_l·w_l) ─────────── Gemm(B ᵀ) ───┴→ (K, out) ×4
//                                                      Concat → vt (K, 4·out) [→ LN vt_region_norm]
//   Concat(aux, vt) (K, D) + box_embedding (K, D) → mm_projector_aux → region_embeds (K, hidden)

import type { Graph, Scope, Value } from '../../src/onnx/graph.ts';
import { ConfigError, PREFIX } from '../read/config.ts';
import type { DavitConfig, RegionConfig } from '../../src/model-folder/config.ts';
import { auxWeightsName, DAVIT_STAGES, PYRAMID_LEVELS, pyramidLevelName, REGION_ENCODER_IO, regionStageName, vtWeightsName } from '../../src/model-folder/graph-io.ts';
import { linear, type EmitContext } from './linear.ts';
import { emitLayerNorm } from './region-pyramid.ts';

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
  if (davit.dimEmbed.length !== DAVIT_STAGES) throw new Error(`region_encoder: DaViT has ${davit.dimEmbed.length} stages, HFRE pools exactly ${DAVIT_STAGES}`);
  const inputs = new Map(REGION_ENCODER_IO.inputs.map((i) => [i.name, g.input(i.name, i.dtype, i.dims)]));
  const input = (name: string) => inputs.get(name)!;
  const s = g.at('/object_vp_extractor');

  // Aux branch (L318-366): pooled per DaViT level, concatenated in level order.
  const auxPooled = davit.dimEmbed.map((C, l) => emitRoiPool(s.at(`aux_pool.${l}`), input(regionStageName(l)), input(auxWeightsName(l)), C));
  let aux = s.op('Concat', 'aux/Concat', auxPooled, { axis: 1 }); // (K, ΣC_l)
  // ViT branch (extract_vt_region_feature, variant A) on the SimpleFP levels region_pyramid computed.
  const out = region.simpleFpnOutChannels;
  const vtPooled = Array.from({ length: PYRAMID_LEVELS }, (_, l) => emitRoiPool(s.at(`vt_pool.${l}`), input(pyramidLevelName(l)), input(vtWeightsName(l)), out));
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

/** build_vision_projector_aux: 'linear' = Linear(D, hidden); 'mlp2x_gelu' = Linear → GELU → Linear. x (K, D) */
async function emitProjectorAux(s: Scope, ctx: EmitContext, region: RegionConfig, x: Value): Promise<Value> {
  const p = PREFIX.projAux.slice(0, -1); // 'model.mm_projector_aux'
  if (region.projectorAuxType === 'linear') return linear(ctx, s, 'linear', x, p, { bias: true });
  const h = s.ms('Gelu', '1/Gelu', [await linear(ctx, s, '0', x, `${p}.0`, { bias: true })])[0]; // (K, hidden)
  return linear(ctx, s, '2', h, `${p}.2`, { bias: true }); // (K, hidden)
}
