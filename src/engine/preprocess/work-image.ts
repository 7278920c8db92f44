// The "work image" of vlm-fo1-spec.md §2.1 step 2 / §5.0 (mm_utils.py `resize_shortest_edge_images_and_bboxes`
// with max_size 2048, and `load_image`): the long side capped at 2048 by int truncation, each side at
// least 28, PIL BICUBIC. Boxes follow with the per-axis ratio new/old (see boxes.ts). A detail level below
// the reference also caps its pixel count (detail.ts), the same way: one scale for both sides, truncated.
import type { RgbImage } from '../image/rgb-image.ts';
import { resizeRgb } from './resample.ts';

export const MAX_LONG_SIDE = 2048;
export const MIN_SIDE = 28;

export interface WorkLimits {
  maxLong?: number; // MAX_LONG_SIDE
  minSide?: number; // MIN_SIDE
  /** Pixel budget of a detail level below the reference (detail.ts); default none. */
  maxPixels?: number;
}

/** Work-image size for an original W×H, as [width, height]. */
export function workSize(width: number, height: number, limits: WorkLimits = {}): [number, number] {
  const { maxLong = MAX_LONG_SIDE, minSide = MIN_SIDE, maxPixels = Infinity } = limits;
  // Python: scale = max_size / long; new = int(old * scale). The pixel budget scales both sides alike.
  const scale = Math.min(maxLong / Math.max(width, height), Math.sqrt(maxPixels / (width * height)));
  const [w, h] = scale < 1 ? [Math.trunc(width * scale), Math.trunc(height * scale)] : [width, height];
  return [Math.max(w, minSide), Math.max(h, minSide)];
}

/** The image every encoder starts from; unchanged (same object) when no resize is needed. */
export function toWorkImage(img: RgbImage, limits: WorkLimits = {}): RgbImage {
  const [w, h] = workSize(img.width, img.height, limits);
  return w === img.width && h === img.height ? img : resizeRgb(img, w, h, 'bicubic');
}
