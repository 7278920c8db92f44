// DaViT ("perception" encoder) input (vlm-fo1-spec.md §5.2; davit/image_processing_clip.py resize,
// davit_aux_encoder.py L46-50): PIL bicubic per `aux_image_aspect_ratio`, ×1/255, ImageNet mean/std.
import type { RgbImage } from '../image/rgb-image.ts';
import { DYNAMIC_SQUARE_SIZES, IMAGENET_MEAN, IMAGENET_STD, SQUASH_SIZE } from '../../model-folder/image.ts';
import { normalizeChw } from './normalize.ts';
import { resizeRgb } from './resample.ts';

export interface DavitInput {
  pixelValues: Float32Array; // (1, 3, H, W)
  width: number;
  height: number;
}

/** [width, height] DaViT sees for a work image; unknown modes behave as 'squash', as in the reference. */
export function davitSize(workWidth: number, workHeight: number, mode: string): [number, number] {
  if (mode === 'dynamic') return [workWidth, workHeight];
  if (mode === 'dynamic_square') {
    const area = workWidth * workHeight;
    // First of equally close sizes, like Python's min() over the list.
    let best: number = DYNAMIC_SQUARE_SIZES[0];
    for (const s of DYNAMIC_SQUARE_SIZES) if (Math.abs(s * s - area) < Math.abs(best * best - area)) best = s;
    return [best, best];
  }
  return [SQUASH_SIZE, SQUASH_SIZE];
}

export function davitInput(work: RgbImage, mode: string): DavitInput {
  const [w, h] = davitSize(work.width, work.height, mode);
  const resized = w === work.width && h === work.height ? work : resizeRgb(work, w, h, 'bicubic');
  return { pixelValues: normalizeChw(resized, IMAGENET_MEAN, IMAGENET_STD), width: w, height: h };
}
