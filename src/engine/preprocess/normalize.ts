// uint8 RGB → normalized float32 planes, in the arithmetic of transformers' slow image processors:
// `rescale` multiplies in float64 and casts to float32, then `normalize` computes (x − mean) / std in
// float32 (mean and std cast to the image dtype). Math.fround reproduces each float32 rounding.
import type { RgbImage } from '../image/rgb-image.ts';

export type Triple = readonly [number, number, number];

export const CLIP_MEAN: Triple = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: Triple = [0.26862954, 0.26130258, 0.27577711];
export const IMAGENET_MEAN: Triple = [0.485, 0.456, 0.406];
export const IMAGENET_STD: Triple = [0.229, 0.224, 0.225];

/** Returns (3, H, W) float32: ((v / 255) − mean[c]) / std[c]. */
export function normalizeChw(img: RgbImage, mean: Triple, std: Triple): Float32Array {
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
