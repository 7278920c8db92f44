// User boxes and the coordinate frames they pass through (docs/model-format.md, Coordinate frames):
// original pixels → work image (×new/old per axis) → clamped to the work image and scaled into the
// DaViT input ("aux boxes", mm_utils.py adjust_bbox) → scaled into the Qwen-resized image ("vt boxes").
// validateBoxes and boxFrames are the only places a box gets its frame's brand (src/model-folder/boxes.ts).

import type { AuxBox, BoxFrame, FrameBox, OriginalBox, PixelBox, VtBox, WorkBox } from '../../model-folder/boxes.ts';
import { MAX_REGIONS } from '../../model-folder/config.ts';

export interface Size {
  width: number;
  height: number;
}

export type BoxErrorCode = 'not-finite' | 'inverted' | 'outside' | 'zero-area' | 'too-many';

/** A box the model cannot use; `index` is its position in the caller's list (null for 'too-many'). */
export class BoxError extends Error {
  override readonly name = 'BoxError';

  constructor(readonly code: BoxErrorCode, readonly index: number | null, message: string) {
    super(message);
  }
}

const show = (b: PixelBox) => `[${b.x1}, ${b.y1}, ${b.x2}, ${b.y2}]`;

/** The caller's boxes as boxes of the original image; throws a BoxError for the first unusable one. */
export function validateBoxes(boxes: readonly PixelBox[], image: Size): readonly OriginalBox[] {
  // The reference keeps the first MAX_REGIONS boxes but builds the prompt from all of them, so more must be refused.
  if (boxes.length > MAX_REGIONS) {
    throw new BoxError('too-many', null, `${boxes.length} boxes were given; the model takes at most ${MAX_REGIONS}`);
  }
  boxes.forEach((b, i) => {
    const what = `box ${i} ${show(b)}`;
    if (![b.x1, b.y1, b.x2, b.y2].every(Number.isFinite)) {
      throw new BoxError('not-finite', i, `${what}: every coordinate must be a finite number`);
    }
    if (b.x2 < b.x1 || b.y2 < b.y1) {
      throw new BoxError('inverted', i, `${what} is inverted: it needs x1 ≤ x2 and y1 ≤ y2 (top-left, then bottom-right)`);
    }
    // Before "outside": [0, 0, 0, 0] lies on the image's corner, and what is wrong with it is its size.
    if (b.x2 === b.x1 || b.y2 === b.y1) {
      throw new BoxError('zero-area', i, `${what} is empty: it has no ${b.x2 === b.x1 ? 'width' : 'height'} (x1 = x2 or y1 = y2)`);
    }
    if (b.x1 >= image.width || b.y1 >= image.height || b.x2 <= 0 || b.y2 <= 0) {
      throw new BoxError('outside', i, `${what} lies entirely outside the ${image.width}×${image.height} image`);
    }
    const c = clampBox(b, image);
    if (c.x2 - c.x1 <= 0 || c.y2 - c.y1 <= 0) {
      throw new BoxError('zero-area', i, `${what} has no area inside the ${image.width}×${image.height} image`);
    }
  });
  return boxes as readonly OriginalBox[];
}

/** `b` clamped to a `size` image, in the same frame. */
export function clampBox<B extends PixelBox>(b: B, size: Size): B {
  const cx = (v: number) => Math.min(Math.max(v, 0), size.width);
  const cy = (v: number) => Math.min(Math.max(v, 0), size.height);
  return { x1: cx(b.x1), y1: cy(b.y1), x2: cx(b.x2), y2: cy(b.y2) } as B;
}

/** `b` scaled per axis into the frame `To`: a change of frame, so it takes the new brand. */
function scaleBox<To extends FrameBox<BoxFrame>>(b: PixelBox, sx: number, sy: number): To {
  return { x1: b.x1 * sx, y1: b.y1 * sy, x2: b.x2 * sx, y2: b.y2 * sy } as To;
}

export interface BoxFrames {
  work: WorkBox[]; // work-image pixels (W0×H0), not clamped
  aux: AuxBox[]; // DaViT input pixels, clamped
  vt: VtBox[]; // Qwen-resized image pixels (gw·14 × gh·14)
}

/** Maps original-image boxes into every frame the region encoder uses. */
export function boxFrames(boxes: readonly OriginalBox[], original: Size, work: Size, aux: Size, vit: Size): BoxFrames {
  const w = boxes.map((b) => scaleBox<WorkBox>(b, work.width / original.width, work.height / original.height));
  const a = w.map((b) => scaleBox<AuxBox>(clampBox(b, work), aux.width / work.width, aux.height / work.height));
  const v = a.map((b) => scaleBox<VtBox>(b, vit.width / aux.width, vit.height / aux.height));
  return { work: w, aux: a, vt: v };
}
