// Everything the encoders need from one photo and its boxes, in the reference order: work image (the 2048
// cap) → Qwen pixels and DaViT input, once per image and detail level; then, per question, the boxes in each
// frame (docs/model-format.md). Every constant comes from model.json's `image` section, which the converter
// wrote, capped by the detail level (detail.ts atDetail); the engine and the tests both run these two functions.
import type { DetailLevel } from '../api.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import type { PixelBox } from '../../model-folder/boxes.ts';
import { boxFrames, validateBoxes, type BoxFrames } from './boxes.ts';
import { davitInput, type DavitInput } from './davit-input.ts';
import type { DetailProcessing } from './detail.ts';
import { qwenPixelValues, type QwenPixels } from './qwen-pixels.ts';
import { toWorkImage } from './work-image.ts';

/** One image as the encoders see it: everything but the boxes. */
export interface PreparedImage {
  original: RgbImage;
  /** The level work, qwen and davit were made at. */
  detail: DetailLevel;
  work: RgbImage;
  qwen: QwenPixels;
  davit: DavitInput;
}

export function prepareImage(original: RgbImage, processing: DetailProcessing): PreparedImage {
  const work = toWorkImage(original, processing);
  return { original, detail: processing.level, work, qwen: qwenPixelValues(work, processing.semantic), davit: davitInput(work, processing.perception) };
}

/** The boxes of a question in every frame; throws BoxError for unusable boxes. */
export function prepareBoxes(image: PreparedImage, boxes: readonly PixelBox[]): BoxFrames {
  const original = validateBoxes(boxes, image.original);
  const [vh, vw] = image.qwen.resizedHW;
  return boxFrames(original, image.original, image.work, image.davit, { width: vw, height: vh });
}
