// Qwen2.5-VL ViT input (docs/model-format.md, Preprocessing step 3; transformers Qwen2VLImageProcessor): smart_resize,
// PIL bicubic, rescale + CLIP normalize, then patchify into (gh·gw, 3·2·14·14) rows.
import type { RgbImage } from '../image/rgb-image.ts';
import type { ImageProcessing } from '../../model-folder/image.ts';
import { normalizeChw } from './normalize.ts';
import { resizeRgb } from './resample.ts';
import { smartResize } from './smart-resize.ts';

/** model.json's Qwen processor constants. */
export type QwenVisionPreprocess = ImageProcessing['semantic'];

export interface QwenPixels {
  pixelValues: Float32Array; // (gh·gw, 3·T·p·p) = (gh·gw, 1176)
  gridThw: [number, number, number]; // [1, gh, gw]
  resizedHW: [number, number]; // [gh·p, gw·p]
}

export function qwenPixelValues(work: RgbImage, cfg: QwenVisionPreprocess): QwenPixels {
  const p = cfg.patchSize;
  const [h, w] = smartResize(work.height, work.width, p * cfg.mergeSize, cfg.minPixels, cfg.maxPixels);
  const resized = w === work.width && h === work.height ? work : resizeRgb(work, w, h, 'bicubic');
  const chw = normalizeChw(resized, cfg.mean, cfg.std);
  const gh = h / p;
  const gw = w / p;
  return { pixelValues: patchify(chw, gh, gw, p, cfg.mergeSize, cfg.temporalPatchSize), gridThw: [1, gh, gw], resizedHW: [h, w] };
}

/**
 * (3, gh·p, gw·p) → (gh·gw, 3·T·p·p), the reference's
 *   reshape(1, T, 3, gh/m, m, p, gw/m, m, p).permute(0, 3, 6, 4, 7, 2, 1, 5, 8)
 * with the single frame repeated T times. Rows go merge-block by merge-block (m×m patches each, row
 * major inside the block); a row is channel, then time, then the p×p pixels.
 */
export function patchify(chw: Float32Array, gh: number, gw: number, p: number, m: number, t: number): Float32Array {
  const H = gh * p;
  const W = gw * p;
  if (chw.length !== 3 * H * W) throw new Error(`patchify: ${chw.length} values is not 3×${H}×${W}`);
  if (gh % m !== 0 || gw % m !== 0) throw new Error(`patchify: grid ${gh}×${gw} is not a multiple of the merge size ${m}`);
  const rowLen = 3 * t * p * p;
  const out = new Float32Array(gh * gw * rowLen);
  let o = 0;
  for (let bh = 0; bh < gh / m; bh++) {
    for (let bw = 0; bw < gw / m; bw++) {
      for (let mh = 0; mh < m; mh++) {
        for (let mw = 0; mw < m; mw++) {
          const y0 = (bh * m + mh) * p;
          const x0 = (bw * m + mw) * p;
          for (let c = 0; c < 3; c++) {
            for (let ti = 0; ti < t; ti++) {
              for (let py = 0; py < p; py++) {
                const src = c * H * W + (y0 + py) * W + x0;
                out.set(chw.subarray(src, src + p), o);
                o += p;
              }
            }
          }
        }
      }
    }
  }
  return out;
}
