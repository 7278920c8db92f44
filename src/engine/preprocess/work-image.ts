// The "work image" (docs/model-format.md, Coordinate frames; mm_utils.py `resize_shortest_edge_images_and_bboxes`
// with max_size 2048, and `load_image`): the long side capped at model.json's maxLongSide (2048) by int
// truncation, each side at least minSide (28), PIL BICUBIC. Boxes follow with the per-axis ratio new/old (see boxes.ts).
// A detail level below the reference also caps its pixel count (detail.ts), the same way: one scale for both
// sides, truncated.
import type { RgbImage } from '../image/rgb-image.ts';
import type { ImageProcessing } from '../../model-folder/image.ts';
import { resizeRgb } from './resample.ts';

/** model.json's bounds of the work image (2048 and 28 for FO1), and a detail level's pixel budget (none: no cap). */
export interface WorkBounds extends Pick<ImageProcessing, 'maxLongSide' | 'minSide'> {
  maxWorkPixels?: number;
}

/** Work-image size for an original W×H, as [width, height]. */
export function workSize(width: number, height: number, { maxLongSide, minSide, maxWorkPixels = Infinity }: WorkBounds): [number, number] {
  // Python: scale = max_size / long; new = int(old * scale). The pixel budget scales both sides alike.
  const scale = Math.min(maxLongSide / Math.max(width, height), Math.sqrt(maxWorkPixels / (width * height)));
  const [w, h] = scale < 1 ? [Math.trunc(width * scale), Math.trunc(height * scale)] : [width, height];
  return [Math.max(w, minSide), Math.max(h, minSide)];
}

/** The image every encoder starts from; unchanged (same object) when no resize is needed. */
export function toWorkImage(img: RgbImage, bounds: WorkBounds): RgbImage {
  const [w, h] = workSize(img.width, img.height, bounds);
  return w === img.width && h === img.height ? img : resizeRgb(img, w, h, 'bicubic');
}
