// torch.nn.functional.conv2d in plain float32 loops: NCHW input, (C_out, C_in/groups, kH, kW) weight,
// symmetric zero padding, square stride, optional groups (groups = C_in is a depthwise conv).

import { tensor, type Tensor } from './tensor.ts';

export interface Conv2dOptions {
  stride: number;
  padding: number;
  groups?: number;
}

/** Output side of a conv: floor((n + 2p − k) / s) + 1 (torch's formula, dilation 1). */
export const convOut = (n: number, k: number, stride: number, padding: number): number => Math.floor((n + 2 * padding - k) / stride) + 1;

/** (B, C_in, H, W) ⊛ (C_out, C_in/groups, kH, kW) + b(C_out) → (B, C_out, H', W'). */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | undefined, o: Conv2dOptions): Tensor {
  const [B, Cin, H, W] = x.shape;
  const [Cout, CinG, kH, kW] = w.shape;
  const groups = o.groups ?? 1;
  if (x.shape.length !== 4 || w.shape.length !== 4) throw new Error(`conv2d: expected 4-D input and weight, got [${x.shape}] and [${w.shape}]`);
  if (Cin !== CinG * groups || Cout % groups) throw new Error(`conv2d: input [${x.shape}] and weight [${w.shape}] disagree for groups=${groups}`);
  const Ho = convOut(H, kH, o.stride, o.padding);
  const Wo = convOut(W, kW, o.stride, o.padding);
  const CoutG = Cout / groups;
  const out = new Float32Array(B * Cout * Ho * Wo);
  for (let bi = 0; bi < B; bi++)
    for (let co = 0; co < Cout; co++) {
      const g = Math.floor(co / CoutG);
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let acc = b ? b.data[co] : 0;
          for (let ci = 0; ci < CinG; ci++) {
            const xc = (bi * Cin + g * CinG + ci) * H;
            const wc = (co * CinG + ci) * kH;
            for (let ky = 0; ky < kH; ky++) {
              const y = oy * o.stride - o.padding + ky;
              if (y < 0 || y >= H) continue; // zero padding
              for (let kx = 0; kx < kW; kx++) {
                const xx = ox * o.stride - o.padding + kx;
                if (xx < 0 || xx >= W) continue;
                acc += x.data[(xc + y) * W + xx] * w.data[(wc + ky) * kW + kx];
              }
            }
          }
          out[((bi * Cout + co) * Ho + oy) * Wo + ox] = acc;
        }
    }
  return tensor(out, [B, Cout, Ho, Wo]);
}
