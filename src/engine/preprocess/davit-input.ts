// DaViT ("perception" encoder) input (docs/model-format.md, Preprocessing step 4; davit/image_processing_clip.py resize,
// davit_aux_encoder.py L46-50): PIL bicubic per `aux_image_aspect_ratio`, ×1/255, ImageNet mean/std.
import type { RgbImage } from '../image/rgb-image.ts';
import type { ImageProcessing } from '../../model-folder/image.ts';
import { normalizeChw } from './normalize.ts';
import { resizeRgb } from './resample.ts';

export interface DavitInput {
  pixelValues: Float32Array; // (1, 3, H, W)
  width: number;
  height: number;
}

/** model.json's DaViT constants; the mode is a string because the reference treats any unknown one as squash. */
export type DavitPreprocess = Omit<ImageProcessing['perception'], 'aspectMode'> & { aspectMode: string };

/** [width, height] DaViT sees for a work image; unknown modes behave as 'squash', as in the reference. */
export function davitSize(workWidth: number, workHeight: number, { aspectMode: mode, squashSize, dynamicSquareSizes }: Omit<DavitPreprocess, 'mean' | 'std'>): [number, number] {
  if (mode === 'dynamic') return [workWidth, workHeight];
  if (mode === 'dynamic_square') {
    const area = workWidth * workHeight;
    // First of equally close sizes, like Python's min() over the list.
    let best = dynamicSquareSizes[0];
    for (const s of dynamicSquareSizes) if (Math.abs(s * s - area) < Math.abs(best * best - area)) best = s;
    return [best, best];
  }
  return [squashSize, squashSize];
}

export function davitInput(work: RgbImage, cfg: DavitPreprocess): DavitInput {
  const [w, h] = davitSize(work.width, work.height, cfg);
  const resized = w === work.width && h === work.height ? work : resizeRgb(work, w, h, 'bicubic');
  return { pixelValues: normalizeChw(resized, cfg.mean, cfg.std), width: w, height: h };
}
