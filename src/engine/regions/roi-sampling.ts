// RoIAlign-mean as a matrix: HFRE pools each box with torchvision roi_align (aligned=False,
// sampling_ratio=-1) and then averages the R×R bins (hybrid_finegrained_region_encoder.py L318-366,
// L230-259; docs/model.md "Region features", RoIAlign). That is linear in the feature map, so per level
//   pooled (K, C) = W (K, H·W) · map(C, H·W)ᵀ
// and the graph needs no RoiAlign kernel (WebGPU has none). Every step is separable per axis — the
// sample grid is a product grid, bilinear weights factor into y·x, the "outside [-1, H] × [-1, W]"
// test is (y outside) or (x outside), and F.interpolate's bilinear resize is separable — so each box's
// W row is an outer product rowWeights(H) ⊗ colWeights(W), computed in O(R·g) per axis.
//
// For the aux branch, roi_align runs on DaViT levels 1..3 bilinearly upsampled (align_corners=False) to
// F0's grid. A sample on that grid blends ≤ 2 upsampled rows, each a blend of ≤ 2 low-res rows, so the
// upsampling folds into the axis weights and W addresses the low-res map directly.
//
// Geometry is float32 (Math.fround), as in the CPU kernels (roi_align_kernel.cpp, UpSample.h).
import type { PixelBox } from '../../model-folder/boxes.ts';

const f = Math.fround;

/** One axis of one level: the grid roi_align samples, and the map the weights address. */
export interface AxisLevel {
  /** Cells on the grid roi_align sees (F0's size for upsampled aux levels). */
  sampled: number;
  /** Cells on the map the graph multiplies (the level's own size); ≤ sampled. */
  stored: number;
  /** Box coordinates × spatialScale = sampled-grid coordinates. */
  spatialScale: number;
}

/** roi_align's sample coordinates on one axis: R bins of max(len, 1)/R, g = ceil(len/R) samples each. */
function samplePoints(lo: number, hi: number, spatialScale: number, R: number): number[] {
  const s = f(spatialScale);
  const start = f(lo * s);
  const len = Math.max(f(f(hi * s) - start), 1);
  const bin = f(len / R);
  const g = Math.ceil(f(len / R));
  const points: number[] = [];
  for (let p = 0; p < R; p++) for (let i = 0; i < g; i++) points.push(f(f(start + f(p * bin)) + f(f((i + 0.5) * bin) / g)));
  return points;
}

/** Adds `w` × (row `Y` of the sampled grid) expressed on the stored map: identity or the bilinear-resize fold. */
function addResized(out: Float64Array, Y: number, w: number, sampled: number, stored: number): void {
  if (sampled === stored) {
    out[Y] += w;
    return;
  }
  // UpSample.h, align_corners=False: src = max((Y + ½)·in/out − ½, 0); neighbour clamped to the last row.
  const src = Math.max(f(f(f(stored / sampled) * f(Y + 0.5)) - 0.5), 0);
  const i0 = Math.trunc(src);
  const lambda = Math.min(Math.max(f(src - i0), 0), 1);
  out[i0] += w * (1 - lambda);
  out[i0 < stored - 1 ? i0 + 1 : i0] += w * lambda;
}

/**
 * Σ over the box's samples on this axis of their bilinear weights, on the stored map, divided by the
 * sample count (R·g): the axis factor of the box's RoIAlign-mean. Samples outside [-1, sampled] add 0.
 */
export function axisWeights(lo: number, hi: number, R: number, axis: AxisLevel): Float64Array {
  const n = axis.sampled;
  const out = new Float64Array(axis.stored);
  const points = samplePoints(lo, hi, axis.spatialScale, R);
  for (let p of points) {
    if (p < -1 || p > n) continue;
    if (p <= 0) p = 0;
    let y0 = Math.trunc(p), y1 = y0 + 1;
    if (y0 >= n - 1) { y0 = y1 = n - 1; p = y0; }
    const l = f(p - y0);
    addResized(out, y0, 1 - l, n, axis.stored);
    addResized(out, y1, l, n, axis.stored);
  }
  for (let i = 0; i < out.length; i++) out[i] /= points.length;
  return out;
}

export interface LevelSampling {
  /** Stored map size (the level's own H, W). */
  height: number;
  width: number;
  /** Grid roi_align samples (F0's H, W for upsampled aux levels; else the level's own). */
  sampledHeight: number;
  sampledWidth: number;
  spatialScale: number;
}

/**
 * W (K, H·W) with pooled = W · map(C, H·W)ᵀ equal to roi_align(…).mean((2, 3)) on this level. The boxes may be
 * in any frame: `level.spatialScale` maps that frame's pixels onto the sampled grid.
 */
export function levelWeights(boxes: readonly PixelBox[], R: number, level: LevelSampling): Float32Array {
  const { height: H, width: W } = level;
  const out = new Float32Array(boxes.length * H * W);
  boxes.forEach((b, k) => {
    const rows = axisWeights(b.y1, b.y2, R, { sampled: level.sampledHeight, stored: H, spatialScale: level.spatialScale });
    const cols = axisWeights(b.x1, b.x2, R, { sampled: level.sampledWidth, stored: W, spatialScale: level.spatialScale });
    for (let y = 0; y < H; y++) {
      if (rows[y] === 0) continue;
      const o = (k * H + y) * W;
      for (let x = 0; x < W; x++) out[o + x] = rows[y] * cols[x];
    }
  });
  return out;
}
