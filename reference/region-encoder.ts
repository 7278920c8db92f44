// HFRE + region projector, straight from
// vlm_fo1/model/multimodal_visual_prompt_encoder/hybrid_finegrained_region_encoder.py (HFREModule.__call__,
// extract_vt_region_feature, gen_sineembed_for_position) and multimodal_projector/builder.py
// (build_vision_projector_aux), docs/model.md "Region features". Written like the PyTorch, including the 4-level
// upsample-then-concat aux map the browser graph never builds: this is the oracle, not the fast path.
// Split as the browser graphs are: simpleFpn (region_pyramid, once per image) then regionsOnPyramid
// (region_encoder, per box set); regionEncoder is the two in a row, HFREModule.__call__ as written.

import type { WeightSource } from '../converter/read/checkpoint.ts';
import { PREFIX } from '../converter/read/config.ts';
import type { RegionConfig } from '../src/model-folder/config.ts';
import { roiAlignMean } from './roi-align.ts';
import { interpolateBilinear } from './resample.ts';
import { simpleFpn } from './simple-fpn.ts';
import { add, concat, gelu, layerNorm, linear, tensor, type Tensor } from './tensor.ts';

export interface RegionEncoderInputs {
  /** ViT block-31 pre-merger map, raster order: (1, C_vt, gh, gw). */
  vtMap: Tensor;
  /** DaViT stage maps F0..F3: (1, C_l, H_l, W_l), strides 4, 8, 16, 32. */
  davitStages: readonly Tensor[];
  /** Boxes on the DaViT input, x1 y1 x2 y2: (K, 4). */
  auxBoxes: Tensor;
  /** The same boxes on the Qwen-resized image (gh·14 × gw·14): (K, 4). */
  vtBoxes: Tensor;
}

/** What the box-dependent step reads: the image's SimpleFP levels instead of the ViT map. */
export interface RegionStepInputs extends Omit<RegionEncoderInputs, 'vtMap'> {
  /** SimpleFP levels of the ViT map (simple-fpn.ts): strides 3.5, 7, 14, 28. */
  pyramid: readonly Tensor[];
  /** The ViT patch grid [gh, gw]: the Qwen-resized image is gh·14 × gw·14 pixels. */
  vtGrid: readonly [number, number];
}

export interface RegionStepOutputs {
  /** cat(aux, vt) pooled features, after the optional region LayerNorms: (K, D). */
  featuresNoPos: Tensor;
  /** + the box sine embedding: (K, D). */
  features: Tensor;
  /** mm_projector_aux output, one LLM embedding per box: (K, hidden). */
  embeds: Tensor;
}

export interface RegionEncoderOutputs extends RegionStepOutputs {
  simpleFpn: Tensor[];
}

/** SimpleFP level strides in ViT-input pixels (hard-coded in extract_vt_region_feature). */
const VT_LEVEL_STRIDES = [3.5, 7, 14, 28];

/** Aux branch (L318-366): F1..F3 resized to F0's grid, channel concat, roi_align at ¼, mean over bins. */
export function auxRegionFeatures(stages: readonly Tensor[], auxBoxes: Tensor, cfg: RegionConfig): Tensor {
  const [, , H0, W0] = stages[0].shape;
  const levels = stages.map((s, i) => (i === 0 ? s : interpolateBilinear(s, H0, W0))); // (1, C_l, H0, W0)
  const map = concat(levels, 1); // (1, ΣC_l, H0, W0) — 3840 channels for DaViT-L
  return roiAlignMean(map, auxBoxes, { outputSize: cfg.roiOutputSize, spatialScale: cfg.auxSpatialScale }); // (K, ΣC_l)
}

/** ViT branch, variant A (L230-259): roi_align on each SimpleFP level at 1/stride, mean, concat. */
export function vtRegionFeatures(levels: readonly Tensor[], vtBoxes: Tensor, cfg: RegionConfig): Tensor {
  const pooled = levels.map((l, i) => roiAlignMean(l, vtBoxes, { outputSize: cfg.roiOutputSize, spatialScale: 1 / VT_LEVEL_STRIDES[i] }));
  return concat(pooled, 1); // (K, 4·out)
}

/**
 * gen_sineembed_for_position for (cx, cy, w, h) boxes normalised to [0, 1] (L55-103):
 * d = D/4 frequencies 10000^(2⌊i/2⌋/d); each coordinate → [sin a0, cos a1, sin a2, …]; order cy, cx, w, h.
 */
export function boxSineEmbedding(boxes: Tensor, imageW: number, imageH: number, D: number): Tensor {
  const [K] = boxes.shape;
  const d = Math.floor(D / 4);
  const dimT = Array.from({ length: d }, (_, i) => 10000 ** ((2 * Math.floor(i / 2)) / d));
  const out = new Float32Array(K * 4 * d);
  for (let k = 0; k < K; k++) {
    const [x1, y1, x2, y2] = boxes.data.subarray(k * 4, k * 4 + 4);
    const w = (x2 - x1) / imageW, h = (y2 - y1) / imageH;
    const cx = x1 / imageW + w / 2, cy = y1 / imageH + h / 2;
    [cy, cx, w, h].forEach((c, j) => {
      for (let i = 0; i < d; i++) {
        const a = (c * 2 * Math.PI) / dimT[i];
        out[k * 4 * d + j * d + i] = i % 2 === 0 ? Math.sin(a) : Math.cos(a);
      }
    });
  }
  return tensor(out, [K, 4 * d]);
}

/** build_vision_projector_aux: 'linear' = Linear(D, hidden); 'mlp2x_gelu' = Linear → GELU → Linear. */
export async function projectorAux(w: WeightSource, cfg: RegionConfig, x: Tensor): Promise<Tensor> {
  const p = PREFIX.projAux;
  if (cfg.projectorAuxType === 'linear') return linear(x, await w.get(`${p}weight`), await w.get(`${p}bias`)); // (K, hidden)
  const h = gelu(linear(x, await w.get(`${p}0.weight`), await w.get(`${p}0.bias`))); // (K, hidden)
  return linear(h, await w.get(`${p}2.weight`), await w.get(`${p}2.bias`)); // (K, hidden)
}

async function regionNorm(w: WeightSource, name: string, x: Tensor, eps: number): Promise<Tensor> {
  return layerNorm(x, await w.get(`${PREFIX.hfre}${name}.weight`), await w.get(`${PREFIX.hfre}${name}.bias`), eps);
}

/** HFREModule.__call__ (hybrid, concat, bbox_based) then mm_projector_aux; `patchSize` = the ViT's 14. */
export async function regionEncoder(w: WeightSource, cfg: RegionConfig, patchSize: number, x: RegionEncoderInputs): Promise<RegionEncoderOutputs> {
  const pyramid = await simpleFpn(w, x.vtMap, cfg.simpleFpnLayerNormEps);
  const [, , gh, gw] = x.vtMap.shape;
  const step = await regionsOnPyramid(w, cfg, patchSize, { pyramid, vtGrid: [gh, gw], davitStages: x.davitStages, auxBoxes: x.auxBoxes, vtBoxes: x.vtBoxes });
  return { simpleFpn: pyramid, ...step };
}

/** The box-dependent rest of HFREModule.__call__ on precomputed SimpleFP levels, then mm_projector_aux. */
export async function regionsOnPyramid(w: WeightSource, cfg: RegionConfig, patchSize: number, x: RegionStepInputs): Promise<RegionStepOutputs> {
  let aux = auxRegionFeatures(x.davitStages, x.auxBoxes, cfg); // (K, ΣC_l)
  let vt = vtRegionFeatures(x.pyramid, x.vtBoxes, cfg); // (K, 4·out)
  if (cfg.applyRegionLayerNorm) {
    aux = await regionNorm(w, 'aux_region_norm', aux, cfg.regionLayerNormEps);
    vt = await regionNorm(w, 'vt_region_norm', vt, cfg.regionLayerNormEps);
  }
  const featuresNoPos = concat([aux, vt], 1); // (K, D): aux first
  const [gh, gw] = x.vtGrid;
  // The embedding normalises vt boxes by max level size / vision_tower_spatial_scale = grid · 14.
  const features = cfg.applyPositionEmbedding
    ? add(featuresNoPos, boxSineEmbedding(x.vtBoxes, gw * patchSize, gh * patchSize, cfg.regionHiddenSize))
    : featuresNoPos;
  return { featuresNoPos, features, embeds: await projectorAux(w, cfg, features) };
}
