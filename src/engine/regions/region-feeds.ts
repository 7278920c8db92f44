// The region_encoder graph's box-dependent inputs (src/model-folder/graph-io.ts REGION_ENCODER_IO):
// per-level RoIAlign-mean weights for the aux (DaViT) and vt (SimpleFP) branches, and the box sine
// embedding. The feature maps themselves come from the per-image graphs: fpn_level0..3 from region_pyramid
// (SimpleFP, run once per image), davit_stage0..3 from vision_perception.

import type { AuxBox, VtBox } from '../../model-folder/boxes.ts';
import type { RegionConfig } from '../../model-folder/config.ts';
import { auxWeightsName, DAVIT_STAGES, TENSOR, vtWeightsName } from '../../model-folder/graph-io.ts';
import { boxSineEmbedding } from './box-embedding.ts';
import { levelWeights } from './roi-sampling.ts';

/** What the sampling needs from the model config (docs/model-format.md, Config keys). */
export type RegionSamplingConfig = Pick<RegionConfig, 'roiOutputSize' | 'regionHiddenSize' | 'auxSpatialScale' | 'simpleFpnStrides' | 'maxRegions'>;

/** Map sizes the boxes are sampled on. */
export interface RegionGeometry {
  /** DaViT stage map sizes [H_l, W_l], l = 0..3 — the vision_perception outputs' dims. */
  auxLevels: readonly (readonly [number, number])[];
  /** The ViT patch grid [gh, gw] of the Qwen-resized image. */
  vtGrid: readonly [number, number];
  /** ViT patch size (14): the Qwen-resized image is gh·14 × gw·14 pixels. */
  patchSize: number;
}

export interface FeedTensor {
  data: Float32Array;
  dims: number[];
}

/** SimpleFP level sizes for a gh×gw grid: ConvT×2 twice, ConvT×2, identity, MaxPool 2 (floor). */
export function simpleFpnSizes(gh: number, gw: number): [number, number][] {
  return [[4 * gh, 4 * gw], [2 * gh, 2 * gw], [gh, gw], [Math.floor(gh / 2), Math.floor(gw / 2)]];
}

/** Bytes of the 8 weight matrices for K boxes (float32): K · (Σ aux H·W + Σ SimpleFP h·w) · 4. */
export function regionWeightBytes(K: number, geo: RegionGeometry): number {
  const cells = [...geo.auxLevels, ...simpleFpnSizes(geo.vtGrid[0], geo.vtGrid[1])].reduce((a, [h, w]) => a + h * w, 0);
  return K * cells * 4;
}

/**
 * The graph feeds for K boxes. `auxBoxes` are on the DaViT input (clamped; docs/model-format.md, Coordinate frames),
 * `vtBoxes` the same boxes on the Qwen-resized image (step 5) — src/engine/preprocess/boxes.ts boxFrames.
 */
export function regionEncoderFeeds(auxBoxes: readonly AuxBox[], vtBoxes: readonly VtBox[], geo: RegionGeometry, cfg: RegionSamplingConfig): Record<string, FeedTensor> {
  const K = auxBoxes.length;
  if (K < 1 || K > cfg.maxRegions) throw new Error(`region encoder: ${K} boxes given; it takes 1 to ${cfg.maxRegions}`);
  if (vtBoxes.length !== K) throw new Error(`region encoder: ${K} aux boxes but ${vtBoxes.length} vt boxes; they must be the same boxes`);
  if (geo.auxLevels.length !== DAVIT_STAGES) throw new Error(`region encoder: ${geo.auxLevels.length} DaViT level sizes given, HFRE pools all ${DAVIT_STAGES}`);
  const R = cfg.roiOutputSize;
  const feeds: Record<string, FeedTensor> = {};
  // Aux: roi_align runs on F0's grid with levels 1..3 upsampled to it; the weights address each level as stored.
  const [H0, W0] = geo.auxLevels[0];
  geo.auxLevels.forEach(([h, w], l) => {
    const data = levelWeights(auxBoxes, R, { height: h, width: w, sampledHeight: H0, sampledWidth: W0, spatialScale: cfg.auxSpatialScale });
    feeds[auxWeightsName(l)] = { data, dims: [K, h * w] };
  });
  const [gh, gw] = geo.vtGrid;
  simpleFpnSizes(gh, gw).forEach(([h, w], l) => {
    const data = levelWeights(vtBoxes, R, { height: h, width: w, sampledHeight: h, sampledWidth: w, spatialScale: 1 / cfg.simpleFpnStrides[l] });
    feeds[vtWeightsName(l)] = { data, dims: [K, h * w] };
  });
  const D = cfg.regionHiddenSize;
  feeds[TENSOR.boxEmbedding] = { data: boxSineEmbedding(vtBoxes, gw * geo.patchSize, gh * geo.patchSize, D), dims: [K, D] };
  return feeds;
}
