// Everything the encoders need from one photo and its boxes, in the reference order (vlm-fo1-spec.md
// §8): validate boxes → work image (2048 cap) → Qwen pixels and DaViT input → boxes in each frame.
import type { RgbImage } from '../image/rgb-image.ts';
import { boxFrames, validateBoxes, type Box, type BoxFrames } from './boxes.ts';
import { davitInput, type DavitInput } from './davit-input.ts';
import { FO1_QWEN_PREPROCESS, qwenPixelValues, type QwenPixels, type QwenVisionPreprocess } from './qwen-pixels.ts';
import { toWorkImage } from './work-image.ts';

export interface PrepareOptions {
  /** config.json `aux_image_aspect_ratio`. */
  auxAspectRatio: string;
  qwen?: QwenVisionPreprocess;
}

export interface PreparedImage {
  work: RgbImage;
  qwen: QwenPixels;
  davit: DavitInput;
  boxes: BoxFrames;
}

/** Throws BoxError for unusable boxes before any pixel work. */
export function prepareImage(image: RgbImage, boxes: readonly Box[], options: PrepareOptions): PreparedImage {
  validateBoxes(boxes, image);
  const work = toWorkImage(image);
  const qwen = qwenPixelValues(work, options.qwen ?? FO1_QWEN_PREPROCESS);
  const davit = davitInput(work, options.auxAspectRatio);
  const [vh, vw] = qwen.resizedHW;
  return { work, qwen, davit, boxes: boxFrames(boxes, image, work, davit, { width: vw, height: vh }) };
}
