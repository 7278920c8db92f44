// torchvision.ops.roi_align as its CPU kernel computes it (torchvision/csrc/ops/cpu/roi_align_kernel.cpp,
// roi_align_common.h), for the defaults VLM-FO1 uses: aligned=False, sampling_ratio=-1 (docs/model.md "Region features").
// The box geometry runs in float32 (Math.fround) because the kernel's T is float: ceil(roi_h / R) must
// pick the same sample count as the kernel when roi_h / R lands next to an integer.

import { tensor, type Tensor } from './tensor.ts';

const f = Math.fround;

export interface RoiAlignOptions {
  /** R: output bins per side. */
  outputSize: number;
  /** Box coordinates × spatialScale = feature-map coordinates (1/stride). */
  spatialScale: number;
  /** Samples per bin side; ≤ 0 means adaptive, ceil(roi_side / R) (torchvision's -1). */
  samplingRatio?: number;
}

/** One bilinear tap set: value = Σ w_i · map[y_i, x_i]; empty when the point is outside the map. */
export interface BilinearTaps {
  y: [number, number];
  x: [number, number];
  /** Weights for (y0,x0), (y0,x1), (y1,x0), (y1,x1). */
  w: [number, number, number, number];
}

/**
 * roi_align_common.h bilinear_interpolate: zero outside [-1, H] × [-1, W], clamps negatives to 0, and
 * collapses to the last row/column at the far edge.
 */
export function bilinearTaps(y: number, x: number, H: number, W: number): BilinearTaps | null {
  if (y < -1 || y > H || x < -1 || x > W) return null;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  let y0 = Math.trunc(y), x0 = Math.trunc(x), y1: number, x1: number;
  if (y0 >= H - 1) { y0 = y1 = H - 1; y = y0; } else y1 = y0 + 1;
  if (x0 >= W - 1) { x0 = x1 = W - 1; x = x0; } else x1 = x0 + 1;
  const ly = f(y - y0), lx = f(x - x0), hy = 1 - ly, hx = 1 - lx;
  return { y: [y0, y1], x: [x0, x1], w: [hy * hx, hy * lx, ly * hx, ly * lx] };
}

/** The sampling grid of one box on one axis: where the kernel samples, bin by bin (docs/model.md, RoIAlign). */
export interface RoiAxisGrid {
  /** Sample coordinates on the feature map, R·g of them, bin-major. */
  points: number[];
  /** Samples per bin on this axis (g). */
  perBin: number;
}

/** x1·s … x2·s → R bins of max(len, 1)/R, each with g = ceil(len/R) evenly spaced samples. */
export function roiAxisGrid(lo: number, hi: number, o: RoiAlignOptions): RoiAxisGrid {
  const R = o.outputSize;
  const s = f(o.spatialScale);
  const start = f(lo * s);
  const len = Math.max(f(f(hi * s) - start), 1); // aligned=False: a box is never thinner than one cell
  const bin = f(len / R);
  const g = o.samplingRatio && o.samplingRatio > 0 ? o.samplingRatio : Math.ceil(f(len / R));
  const points: number[] = [];
  for (let p = 0; p < R; p++)
    for (let i = 0; i < g; i++) points.push(f(f(start + f(p * bin)) + f(f((i + 0.5) * bin) / g)));
  return { points, perBin: g };
}

/**
 * roi_align(input (N, C, H, W), rois (K, 5) = [batch, x1, y1, x2, y2]) → (K, C, R, R);
 * each bin is the mean of its g_y × g_x bilinear samples.
 */
export function roiAlign(input: Tensor, rois: Tensor, o: RoiAlignOptions): Tensor {
  const [N, C, H, W] = input.shape;
  const [K, five] = rois.shape;
  if (input.shape.length !== 4) throw new Error(`roiAlign: input must be (N, C, H, W), got [${input.shape}]`);
  if (five !== 5) throw new Error(`roiAlign: rois must be (K, 5) [batch, x1, y1, x2, y2], got [${rois.shape}]`);
  const R = o.outputSize;
  const out = new Float32Array(K * C * R * R);
  for (let k = 0; k < K; k++) {
    const [b, x1, y1, x2, y2] = rois.data.subarray(k * 5, k * 5 + 5);
    if (!Number.isInteger(b) || b < 0 || b >= N) throw new Error(`roiAlign: roi ${k} has batch index ${b}, input has ${N}`);
    const gy = roiAxisGrid(y1, y2, o), gx = roiAxisGrid(x1, x2, o);
    const count = Math.max(gy.perBin * gx.perBin, 1);
    for (let c = 0; c < C; c++) {
      const plane = input.data.subarray((b * C + c) * H * W, (b * C + c + 1) * H * W);
      for (let ph = 0; ph < R; ph++)
        for (let pw = 0; pw < R; pw++) {
          let acc = 0;
          for (let iy = 0; iy < gy.perBin; iy++)
            for (let ix = 0; ix < gx.perBin; ix++) {
              const t = bilinearTaps(gy.points[ph * gy.perBin + iy], gx.points[pw * gx.perBin + ix], H, W);
              if (!t) continue;
              acc += t.w[0] * plane[t.y[0] * W + t.x[0]] + t.w[1] * plane[t.y[0] * W + t.x[1]]
                + t.w[2] * plane[t.y[1] * W + t.x[0]] + t.w[3] * plane[t.y[1] * W + t.x[1]];
            }
          out[((k * C + c) * R + ph) * R + pw] = acc / count;
        }
    }
  }
  return tensor(out, [K, C, R, R]);
}

/** HFRE's pooling: roi_align over one image's boxes (K, 4), then the mean over the R×R bins → (K, C). */
export function roiAlignMean(map: Tensor, boxes: Tensor, o: RoiAlignOptions): Tensor {
  const [K] = boxes.shape;
  const rois = new Float32Array(K * 5);
  for (let k = 0; k < K; k++) rois.set(boxes.data.subarray(k * 4, k * 4 + 4), k * 5 + 1);
  const pooled = roiAlign(map, tensor(rois, [K, 5]), o); // (K, C, R, R)
  const C = map.shape[1], RR = o.outputSize ** 2;
  const out = new Float32Array(K * C);
  for (let i = 0; i < K * C; i++) {
    let s = 0;
    for (let j = 0; j < RR; j++) s += pooled.data[i * RR + j];
    out[i] = s / RR;
  }
  return tensor(out, [K, C]);
}
