// The "work image" (docs/model-format.md, Coordinate frames; mm_utils.py `resize_shortest_edge_images_and_bboxes`
// with max_size 2048, and `load_image`): the long side capped at model.json's maxLongSide (2048) by int
// truncation, each side at least minSide (28), PIL BICUBIC. Boxes follow with the per-axis ratio new/old (see boxes.ts).
import type { RgbImage } from '../image/rgb-image.ts';
import type { ImageProcessing } from '../../model-folder/image.ts';
import { resizeRgb } from './resample.ts';

/** Work-image size for an original W×H, as [width, height]. */
/** model.json's bounds of the work image (2048 and 28 for FO1). */
export type WorkBounds = Pick<ImageProcessing, 'maxLongSide' | 'minSide'>;

export function workSize(width: number, height: number, { maxLongSide: maxLong, minSide }: WorkBounds): [number, number] {
  const long = Math.max(width, height);
  let w = width;
  let h = height;
  if (long > maxLong) {
    const scale = maxLong / long; // Python: scale = max_size / long; new = int(old * scale)
    w = Math.trunc(width * scale);
    h = Math.trunc(height * scale);
  }
  return [Math.max(w, minSide), Math.max(h, minSide)];
}

/** The image every encoder starts from; unchanged (same object) when no resize is needed. */
export function toWorkImage(img: RgbImage, bounds: WorkBounds): RgbImage {
  const [w, h] = workSize(img.width, img.height, bounds);
  return w === img.width && h === img.height ? img : resizeRgb(img, w, h, 'bicubic');
}
