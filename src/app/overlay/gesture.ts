// Pointer interaction on the overlay as a pure state machine (tldraw's tool states, without the classes):
// `pointerDown/Move/Up` take the current gesture and return the next one plus the edits to apply. The
// overlay component only translates DOM events into these calls, so every interaction is tested headless.
//
//   idle ──down on empty or on an unselected box──▶ pressing ──moved ≥ DRAG_PX──▶ drawing ──up──▶ idle (+ add box)
//     │                        └──up──▶ idle (+ clear selection, or select / toggle the box pressed)
//     ├──down on a selected box──▶ grabbing ──moved ≥ DRAG_PX──▶ moving ──up──▶ idle
//     │                    └──up──▶ idle (+ select / toggle)
//     └──down on handle──▶ resizing ──up──▶ idle
//
// Only a selected box moves when dragged: proposals usually cover the whole photo, so if every box body
// were grabbable there would be nowhere left to draw. Click to select, then drag to move (as in CVAT).

import type { PixelBox } from '../../protocol/messages.ts';
import { boxFromCorners, boxSize, moveBox, resizeBox, screenDistance, type Handle, type ImagePoint, type ScreenPoint, type Size } from './geometry.ts';

/** Movement below this (CSS px) is a click, not a drag: fingers and mice jitter. */
export const DRAG_PX = 4;
/** Drawn boxes smaller than this on either side (image px) are dropped as accidental. */
export const MIN_BOX_PX = 2;

export type Target = { kind: 'empty' } | { kind: 'box'; index: number; selected: boolean } | { kind: 'handle'; index: number; handle: Handle };

export interface Pointer {
  image: ImagePoint;
  screen: ScreenPoint;
}

export type Gesture =
  | { kind: 'idle' }
  /** `box`: the unselected box under the press, selected by a click; a drag draws over it instead. */
  | { kind: 'pressing'; start: Pointer; box?: { index: number; additive: boolean } }
  | { kind: 'drawing'; start: Pointer; draft: PixelBox }
  | { kind: 'grabbing'; start: Pointer; index: number; additive: boolean }
  | { kind: 'moving'; start: Pointer; index: number; original: PixelBox }
  | { kind: 'resizing'; index: number; handle: Handle; original: PixelBox };

export type Edit =
  | { kind: 'add'; box: PixelBox }
  | { kind: 'update'; index: number; box: PixelBox }
  | { kind: 'select'; index: number; additive: boolean }
  | { kind: 'clear-selection' };

export interface Step {
  gesture: Gesture;
  edits: Edit[];
}

export const IDLE: Gesture = { kind: 'idle' };

const stay = (gesture: Gesture): Step => ({ gesture, edits: [] });

export function pointerDown(target: Target, at: Pointer, additive: boolean, boxes: readonly PixelBox[]): Step {
  switch (target.kind) {
    case 'empty': return stay({ kind: 'pressing', start: at });
    case 'box':
      if (!target.selected) return stay({ kind: 'pressing', start: at, box: { index: target.index, additive } });
      return stay({ kind: 'grabbing', start: at, index: target.index, additive });
    case 'handle': return stay({ kind: 'resizing', index: target.index, handle: target.handle, original: boxes[target.index] });
  }
}

export function pointerMove(g: Gesture, at: Pointer, boxes: readonly PixelBox[], image: Size): Step {
  switch (g.kind) {
    case 'idle': return stay(g);
    case 'pressing':
    case 'drawing':
      if (g.kind === 'pressing' && screenDistance(g.start.screen, at.screen) < DRAG_PX) return stay(g);
      return stay({ kind: 'drawing', start: g.start, draft: boxFromCorners(g.start.image, at.image, image) });
    case 'grabbing':
      if (screenDistance(g.start.screen, at.screen) < DRAG_PX) return stay(g);
      return dragMove({ kind: 'moving', start: g.start, index: g.index, original: boxes[g.index] }, at, image);
    case 'moving': return dragMove(g, at, image);
    case 'resizing': return { gesture: g, edits: [{ kind: 'update', index: g.index, box: resizeBox(g.original, g.handle, at.image, image) }] };
  }
}

function dragMove(g: Extract<Gesture, { kind: 'moving' }>, at: Pointer, image: Size): Step {
  const box = moveBox(g.original, at.image.x - g.start.image.x, at.image.y - g.start.image.y, image);
  return { gesture: g, edits: [{ kind: 'update', index: g.index, box }] };
}

export function pointerUp(g: Gesture, at: Pointer, boxes: readonly PixelBox[], image: Size): Step {
  switch (g.kind) {
    case 'idle': return stay(g);
    case 'pressing': return { gesture: IDLE, edits: [g.box ? { kind: 'select', ...g.box } : { kind: 'clear-selection' }] };
    case 'drawing': {
      const box = boxFromCorners(g.start.image, at.image, image);
      const { width, height } = boxSize(box);
      return { gesture: IDLE, edits: width >= MIN_BOX_PX && height >= MIN_BOX_PX ? [{ kind: 'add', box }] : [] };
    }
    case 'grabbing': return { gesture: IDLE, edits: [{ kind: 'select', index: g.index, additive: g.additive }] };
    case 'moving':
    case 'resizing': return { gesture: IDLE, edits: pointerMove(g, at, boxes, image).edits };
  }
}

/** The box to draw while a new one is being dragged out, if any. */
export function draftOf(g: Gesture): PixelBox | null {
  return g.kind === 'drawing' ? g.draft : null;
}
