// A box's four numbers mean nothing without the image they are pixels of. The model sees each box in four
// frames (docs/model-format.md, Coordinate frames of a box): the image as given, the work image, the DaViT
// input and the Qwen-resized image. Each frame has its own box type, branded so that one frame's boxes cannot
// be passed where another's are expected; src/engine/preprocess/boxes.ts is where boxes enter the original
// frame (validateBoxes) and move between frames (boxFrames), the only places a brand is given.

/** An axis-aligned box in pixels of some image: (x1, y1) top-left, (x2, y2) bottom-right. */
export interface PixelBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** The frames of docs/model-format.md, in the order a box passes through them. */
export type BoxFrame = 'original' | 'work' | 'aux' | 'vt';

/** A box in pixels of `F`'s image. The brand is a type only: at run time it is a plain PixelBox. */
export type FrameBox<F extends BoxFrame> = PixelBox & { readonly __frame: F };

/** Pixels of the image as the caller gave it (what the protocol's boxes and the parsed answer's boxes are). */
export type OriginalBox = FrameBox<'original'>;
/** Pixels of the work image (the long side capped, each side ≥ 28), not clamped to it. */
export type WorkBox = FrameBox<'work'>;
/** Pixels of the DaViT input, clamped to the work image first (mm_utils.py adjust_bbox). */
export type AuxBox = FrameBox<'aux'>;
/** Pixels of the Qwen-resized image, gw·14 × gh·14. */
export type VtBox = FrameBox<'vt'>;
