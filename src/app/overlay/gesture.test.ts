// Interaction scripted headless, the way tldraw's TestEditor drives tools: pointer in, edits out.
import { describe, expect, it } from 'vitest';
import type { PixelBox } from '../../protocol/messages.ts';
import { imagePoint, toScreen, type Viewport } from './geometry.ts';
import { IDLE, draftOf, pointerDown, pointerMove, pointerUp, type Edit, type Gesture, type Pointer, type Target } from './gesture.ts';

const image = { width: 640, height: 480 };
const view: Viewport = { left: 0, top: 0, scale: 0.5 }; // 2 image px per screen px

/** A pointer at image (x, y), with its screen position under `view`. */
function at(x: number, y: number): Pointer {
  const p = imagePoint(x, y);
  return { image: p, screen: toScreen(p, view) };
}

/** Down at the first point, move through the rest, up at the last; returns every edit and the final gesture. */
function drag(target: Target, points: Pointer[], boxes: PixelBox[], additive = false): { edits: Edit[]; gesture: Gesture; drafts: (PixelBox | null)[] } {
  let step = pointerDown(target, points[0], additive, boxes);
  const edits = [...step.edits];
  const drafts: (PixelBox | null)[] = [];
  for (const p of points.slice(1)) {
    step = pointerMove(step.gesture, p, boxes, image);
    edits.push(...step.edits);
    drafts.push(draftOf(step.gesture));
  }
  step = pointerUp(step.gesture, points.at(-1)!, boxes, image);
  return { edits: [...edits, ...step.edits], gesture: step.gesture, drafts };
}

describe('overlay gestures', () => {
  it('draws a new box by dragging on empty space, showing a draft meanwhile', () => {
    const r = drag({ kind: 'empty' }, [at(100, 100), at(150, 140), at(300, 200)], []);
    expect(r.drafts).toEqual([{ x1: 100, y1: 100, x2: 150, y2: 140 }, { x1: 100, y1: 100, x2: 300, y2: 200 }]);
    expect(r.edits).toEqual([{ kind: 'add', box: { x1: 100, y1: 100, x2: 300, y2: 200 } }]);
    expect(r.gesture).toEqual(IDLE);
  });

  it('treats a press on empty space that barely moves as a click that clears the selection', () => {
    const r = drag({ kind: 'empty' }, [at(100, 100), at(104, 102)], []); // 2 screen px
    expect(r.drafts).toEqual([null]);
    expect(r.edits).toEqual([{ kind: 'clear-selection' }]);
  });

  it('clicks a box to select it, or to toggle it with a modifier, selected or not', () => {
    const boxes = [{ x1: 0, y1: 0, x2: 50, y2: 50 }];
    for (const selected of [false, true]) {
      expect(drag({ kind: 'box', index: 0, selected }, [at(10, 10), at(12, 12)], boxes).edits).toEqual([{ kind: 'select', index: 0, additive: false }]);
      expect(drag({ kind: 'box', index: 0, selected }, [at(10, 10)], boxes, true).edits).toEqual([{ kind: 'select', index: 0, additive: true }]);
    }
  });

  it('draws a new box when the drag starts inside a box that is not selected, leaving that box alone', () => {
    const boxes = [{ x1: 0, y1: 0, x2: 400, y2: 400 }]; // a proposal covering most of the photo
    const r = drag({ kind: 'box', index: 0, selected: false }, [at(100, 100), at(300, 200)], boxes);
    expect(r.drafts).toEqual([{ x1: 100, y1: 100, x2: 300, y2: 200 }]);
    expect(r.edits).toEqual([{ kind: 'add', box: { x1: 100, y1: 100, x2: 300, y2: 200 } }]);
  });

  it('drags a selected box body to move it, within the image', () => {
    const boxes = [{ x1: 0, y1: 0, x2: 50, y2: 50 }];
    const r = drag({ kind: 'box', index: 0, selected: true }, [at(10, 10), at(40, 30), at(-100, 30)], boxes);
    expect(r.edits).toEqual([
      { kind: 'update', index: 0, box: { x1: 30, y1: 20, x2: 80, y2: 70 } },
      { kind: 'update', index: 0, box: { x1: 0, y1: 20, x2: 50, y2: 70 } },
      { kind: 'update', index: 0, box: { x1: 0, y1: 20, x2: 50, y2: 70 } },
    ]);
  });

  it('drags a handle to resize from the original box', () => {
    const boxes = [{ x1: 10, y1: 10, x2: 50, y2: 50 }];
    const r = drag({ kind: 'handle', index: 0, handle: 'se' }, [at(50, 50), at(90, 70)], boxes);
    expect(r.edits.at(-1)).toEqual({ kind: 'update', index: 0, box: { x1: 10, y1: 10, x2: 90, y2: 70 } });
  });

  it('drops drawn boxes too thin to be meant', () => {
    const r = drag({ kind: 'empty' }, [at(100, 100), at(300, 101)], []);
    expect(r.edits).toEqual([]);
  });

  it('ignores moves and ups with no gesture in progress', () => {
    expect(pointerMove(IDLE, at(1, 1), [], image)).toEqual({ gesture: IDLE, edits: [] });
    expect(pointerUp(IDLE, at(1, 1), [], image)).toEqual({ gesture: IDLE, edits: [] });
  });
});
