// uint8 RGB → normalized float32 planes, in the arithmetic of transformers' slow image processors:
// `rescale` multiplies in float64 and casts to float32, then `normalize` computes (x − mean) / std in
// float32 (mean and std cast to the image dtype). Math.fround reproduces each float32 rounding.
import type { RgbImage } from '../image/rgb-image.ts';

/** Returns (3, H, W) float32: ((v / 255) − mean[c]) / std[c]. */
export function normalizeChw(img: RgbImage, mean: readonly number[], std: readonly number[]): Float32Array {
  const { width, height, data } = img;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    // A 256-entry table per channel: every uint8 value maps to one float32.
    const m = Math.fround(mean[c]);
    const s = Math.fround(std[c]);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(Math.fround(v * (1 / 255)) - m) / s);
    for (let i = 0; i < plane; i++) out[c * plane + i] = table[data[i * 3 + c]];
  }
  return out;
}
