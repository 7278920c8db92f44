// Spatial resampling in plain float32 loops, NCHW: the transposed conv and max-pool of SimpleFP
// (simple_fpn.py) and the bilinear resize HFRE applies to DaViT levels 1..3
// (hybrid_finegrained_region_encoder.py, F.interpolate(mode="bilinear", align_corners=False)).

import { tensor, type Tensor } from './tensor.ts';

/** nn.ConvTranspose2d without padding: (B, Cin, H, W) and weight (Cin, Cout, k, k) → (B, Cout, (H−1)s+k, (W−1)s+k). */
export function convTranspose2d(x: Tensor, w: Tensor, b: Tensor | undefined, stride: number): Tensor {
  const [B, Cin, H, W] = x.shape;
  const [Cin2, Cout, kH, kW] = w.shape;
  if (Cin !== Cin2) throw new Error(`convTranspose2d: input has ${Cin} channels, weight [${w.shape}] expects ${Cin2}`);
  const Ho = (H - 1) * stride + kH, Wo = (W - 1) * stride + kW;
  const out = new Float32Array(B * Cout * Ho * Wo);
  for (let bi = 0; bi < B; bi++)
    for (let co = 0; co < Cout; co++) {
      const o = (bi * Cout + co) * Ho * Wo;
      if (b) out.fill(b.data[co], o, o + Ho * Wo);
      for (let ci = 0; ci < Cin; ci++)
        for (let y = 0; y < H; y++)
          for (let xx = 0; xx < W; xx++) {
            const v = x.data[((bi * Cin + ci) * H + y) * W + xx];
            for (let ky = 0; ky < kH; ky++)
              for (let kx = 0; kx < kW; kx++)
                out[o + (y * stride + ky) * Wo + xx * stride + kx] += v * w.data[((ci * Cout + co) * kH + ky) * kW + kx];
          }
    }
  return tensor(out, [B, Cout, Ho, Wo]);
}

/** nn.MaxPool2d(k, stride=k), floor mode: (B, C, H, W) → (B, C, ⌊H/k⌋, ⌊W/k⌋). */
export function maxPool2d(x: Tensor, k: number): Tensor {
  const [B, C, H, W] = x.shape;
  const Ho = Math.floor(H / k), Wo = Math.floor(W / k);
  const out = new Float32Array(B * C * Ho * Wo).fill(-Infinity);
  for (let p = 0; p < B * C; p++)
    for (let y = 0; y < Ho * k; y++)
      for (let xx = 0; xx < Wo * k; xx++) {
        const i = (p * Ho + Math.floor(y / k)) * Wo + Math.floor(xx / k);
        out[i] = Math.max(out[i], x.data[(p * H + y) * W + xx]);
      }
  return tensor(out, [B, C, Ho, Wo]);
}

/** One output index of a linear resize: value = (1−λ)·in[i0] + λ·in[i1]. */
export interface LinearTap {
  i0: number;
  i1: number;
  lambda: number;
}

/**
 * torch's align_corners=False source index (aten/src/ATen/native/UpSample.h,
 * area_pixel_compute_source_index + compute_indices_weights_linear): src = (dst + ½)·in/out − ½,
 * clamped at 0; the upper neighbour is clamped to the last index. float32 like the CPU kernel.
 */
export function linearResizeTaps(inSize: number, outSize: number): LinearTap[] {
  const f = Math.fround;
  const scale = f(inSize / outSize);
  const taps: LinearTap[] = [];
  for (let d = 0; d < outSize; d++) {
    const src = Math.max(f(f(scale * f(d + 0.5)) - 0.5), 0);
    const i0 = Math.trunc(src);
    taps.push({ i0, i1: i0 < inSize - 1 ? i0 + 1 : i0, lambda: Math.min(Math.max(f(src - i0), 0), 1) });
  }
  return taps;
}

/** F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=False): (B, C, H, W) → (B, C, Ho, Wo). */
export function interpolateBilinear(x: Tensor, Ho: number, Wo: number): Tensor {
  const [B, C, H, W] = x.shape;
  const ty = linearResizeTaps(H, Ho), tx = linearResizeTaps(W, Wo);
  const out = new Float32Array(B * C * Ho * Wo);
  for (let p = 0; p < B * C; p++) {
    const at = (y: number, xx: number) => x.data[(p * H + y) * W + xx];
    for (let oy = 0; oy < Ho; oy++) {
      const { i0: y0, i1: y1, lambda: ly } = ty[oy];
      for (let ox = 0; ox < Wo; ox++) {
        const { i0: x0, i1: x1, lambda: lx } = tx[ox];
        out[(p * Ho + oy) * Wo + ox] = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
      }
    }
  }
  return tensor(out, [B, C, Ho, Wo]);
}
