// YOLOX letterbox as the golden input was made (shared/assets/detector/yolox-nano/golden/*_golden.json):
// resize by r = min(S/h, S/w) to int(w·r) × int(h·r) with PIL BILINEAR, paste at the top-left of an
// S×S canvas filled with 114; the network reads it as BGR, raw 0–255, (1, 3, S, S).
import { rgbImage, type RgbImage } from '../image/rgb-image.ts';
import { resizeRgb } from '../preprocess/resample.ts';

export const LETTERBOX_FILL = 114;

export interface Letterboxed {
  image: RgbImage; // S×S RGB
  ratio: number; // r: letterbox pixels per original pixel
}

export function letterbox(img: RgbImage, size: number): Letterboxed {
  const ratio = Math.min(size / img.height, size / img.width);
  const w = Math.max(1, Math.trunc(img.width * ratio));
  const h = Math.max(1, Math.trunc(img.height * ratio));
  const resized = resizeRgb(img, w, h, 'bilinear');
  const canvas = new Uint8Array(size * size * 3).fill(LETTERBOX_FILL);
  for (let y = 0; y < h; y++) canvas.set(resized.data.subarray(y * w * 3, (y + 1) * w * 3), y * size * 3);
  return { image: rgbImage(size, size, canvas), ratio };
}

/** (H, W, 3) RGB → (1, 3, H, W) float32 in B, G, R channel order, values 0–255. */
export function toBgrChw(img: RgbImage): Float32Array {
  const plane = img.width * img.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = img.data[i * 3 + 2];
    out[plane + i] = img.data[i * 3 + 1];
    out[2 * plane + i] = img.data[i * 3];
  }
  return out;
}
