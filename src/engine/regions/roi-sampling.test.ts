import { describe, expect, it } from 'vitest';
import { roiAlignMean } from '../../../reference/roi-align.ts';
import { interpolateBilinear } from '../../../reference/resample.ts';
import { tensor, type Tensor } from '../../../reference/tensor.ts';
import { expectClose } from '../../testing/close.ts';
import type { PixelBox } from '../../model-folder/boxes.ts';
import { axisWeights, levelWeights } from './roi-sampling.ts';
import { uniformFloats } from '../../../fixtures/random.ts';

/** pooled (K, C) = W (K, H·W) · map(C, H·W)ᵀ — what the graph's Gemm computes. */
function applyWeights(W: Float32Array, K: number, map: Tensor): Float32Array {
  const [, C, H, Wd] = map.shape;
  const HW = H * Wd;
  const out = new Float32Array(K * C);
  for (let k = 0; k < K; k++)
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < HW; i++) s += W[k * HW + i] * map.data[c * HW + i];
      out[k * C + c] = s;
    }
  return out;
}

/** A deterministic pseudo-random map (1, C, H, W). */
function noise(C: number, H: number, W: number, seed: number): Tensor {
  return tensor(uniformFloats(C * H * W, seed), [1, C, H, W]);
}

const asRows = (boxes: PixelBox[]) => tensor(boxes.flatMap((b) => [b.x1, b.y1, b.x2, b.y2]), [boxes.length, 4]);

// Edge cases in input pixels for a stride-4 level of a 40×52 image (10×13 cells) and its ×2 / ×4 downsamples.
const BOXES: PixelBox[] = [
  { x1: 0, y1: 0, x2: 52, y2: 40 }, // whole image
  { x1: 44, y1: 30, x2: 52, y2: 40 }, // on the bottom-right edge
  { x1: 60, y1: 50, x2: 70, y2: 60 }, // fully outside
  { x1: 20, y1: 20, x2: 20, y2: 20 }, // zero area
  { x1: 17, y1: 9, x2: 18, y2: 10 }, // 1 px
  { x1: -6, y1: 3.3, x2: 11.7, y2: 29.9 }, // starts left of the image
  { x1: 5.5, y1: 7.25, x2: 33.1, y2: 38.6 },
];

describe('RoIAlign-mean as sampling weights', () => {
  it('hand case: a 1-px box at stride 4 is one sample at cell 1.5 → half of each of cells 1 and 2 per axis', () => {
    expect(Array.from(axisWeights(4, 5, 1, { sampled: 4, stored: 4, spatialScale: 0.25 }))).toEqual([0, 0.5, 0.5, 0]);
  });
  it('hand case: a sample beyond the last cell (≤ H) collapses onto it; beyond H it is dropped', () => {
    expect(Array.from(axisWeights(3, 4, 1, { sampled: 4, stored: 4, spatialScale: 1 }))).toEqual([0, 0, 0, 1]);
    expect(Array.from(axisWeights(10, 12, 1, { sampled: 4, stored: 4, spatialScale: 1 }))).toEqual([0, 0, 0, 0]);
  });
  it('hand case: upsampling 2 → 4 folds into the low-res weights (sample at 1.5 → rows 0.5·(¾,¼)+0.5·(¼,¾))', () => {
    // align_corners=False: upsampled row 1 = ¾·r0 + ¼·r1, row 2 = ¼·r0 + ¾·r1
    expect(Array.from(axisWeights(1, 1, 1, { sampled: 4, stored: 2, spatialScale: 1 }))).toEqual([0.5, 0.5]);
  });

  it('equals reference roi_align(…).mean on a level at its own size (ViT branch), edge boxes included', () => {
    for (const [stride, H, W] of [[4, 10, 13], [8, 5, 7], [3.5, 12, 15]] as const) {
      const map = noise(3, H, W, H * W);
      const Wt = levelWeights(BOXES, 7, { height: H, width: W, sampledHeight: H, sampledWidth: W, spatialScale: 1 / stride });
      const want = roiAlignMean(map, asRows(BOXES), { outputSize: 7, spatialScale: 1 / stride });
      expectClose(applyWeights(Wt, BOXES.length, map), want.data, 1e-5, `stride ${stride}`);
    }
  });

  it('equals reference upsample-to-F0 then roi_align(…).mean on the low-res level (aux branch)', () => {
    const [H0, W0] = [10, 13];
    for (const [h, w] of [[5, 7], [3, 4], [2, 2]] as const) {
      const level = noise(3, h, w, h * 31 + w);
      const Wt = levelWeights(BOXES, 7, { height: h, width: w, sampledHeight: H0, sampledWidth: W0, spatialScale: 0.25 });
      const want = roiAlignMean(interpolateBilinear(level, H0, W0), asRows(BOXES), { outputSize: 7, spatialScale: 0.25 });
      expectClose(applyWeights(Wt, BOXES.length, level), want.data, 1e-5, `level ${h}×${w}`);
    }
  });
});
