import { describe, expect, it } from 'vitest';
import { cutByInnerEdge, mergeViews, type MergeSettings, type ViewCandidates } from './merge.ts';

const b = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });
const S: MergeSettings = { nmsIou: 0.5, edgeWeight: 0.5, edgeMargin: 4 };
// a 200×100 photo seen as two tiles: x 0–140 and x 60–200, both at letterbox ratio 1
const left = { x: 0, y: 0, width: 140, height: 100 };
const right = { x: 60, y: 0, width: 140, height: 100 };
const view = (v: typeof left, boxes: ReturnType<typeof b>[], scores: number[]): ViewCandidates => ({ view: v, ratio: 1, boxes, scores });

describe('cutByInnerEdge', () => {
  it('flags a box ending at a tile border inside the photo, not one ending at the photo\'s own border', () => {
    expect(cutByInnerEdge(b(100, 10, 139, 50), left, 200, 100, 4)).toBe(true); // left tile's right edge is inside
    expect(cutByInnerEdge(b(61, 10, 90, 50), right, 200, 100, 4)).toBe(true); // right tile's left edge is inside
    expect(cutByInnerEdge(b(0, 0, 50, 100), left, 200, 100, 4)).toBe(false); // photo border left, top, bottom
    expect(cutByInnerEdge(b(100, 10, 130, 50), left, 200, 100, 4)).toBe(false); // 10 px short of the edge
  });
});

describe('mergeViews', () => {
  it('ranks the view that sees an object whole above the one that cuts it, and keeps one box for it', () => {
    // an object at x 110–170: cut at x 140 in the left tile, whole in the right tile
    const got = mergeViews([view(left, [b(110, 20, 139, 60)], [0.9]), view(right, [b(110, 20, 170, 60)], [0.8])], 200, 100, S, 100);
    expect(got).toEqual([{ box: b(110, 20, 170, 60), score: 0.8 }, { box: b(110, 20, 139, 60), score: 0.45 }]);
    // the same object found whole in both tiles is one proposal
    const twice = mergeViews([view(left, [b(80, 20, 120, 60)], [0.7]), view(right, [b(81, 20, 121, 61)], [0.9])], 200, 100, S, 100);
    expect(twice).toEqual([{ box: b(81, 20, 121, 61), score: 0.9 }]);
  });

  it('clips boxes to the photo and drops those wholly outside it', () => {
    const got = mergeViews([view(left, [b(-10, -5, 30, 40), b(-30, 10, -2, 20)], [0.6, 0.9])], 200, 100, S, 100);
    expect(got).toEqual([{ box: b(0, 0, 30, 40), score: 0.6 }]);
  });

  it('puts no proposal on a drawn box, and counts drawn boxes in the limit', () => {
    const found = view(left, [b(10, 10, 40, 40), b(50, 10, 80, 40), b(90, 10, 120, 40)], [0.9, 0.8, 0.7]);
    const drawn = [b(11, 10, 41, 41)];
    expect(mergeViews([found], 200, 100, S, 3, drawn).map((p) => p.box)).toEqual([b(50, 10, 80, 40), b(90, 10, 120, 40)]);
    expect(mergeViews([found], 200, 100, S, 2, drawn).map((p) => p.box)).toEqual([b(50, 10, 80, 40)]);
    expect(mergeViews([found], 200, 100, S, 1, drawn)).toEqual([]);
  });

  it('measures the edge margin in detector pixels: at ratio 0.5 it is twice as wide in the photo', () => {
    const near = [b(100, 10, 133, 50)]; // 7 photo px from the left tile's inner edge at x 140
    expect(mergeViews([{ ...view(left, near, [1]), ratio: 1 }], 200, 100, S, 100)[0].score).toBe(1);
    expect(mergeViews([{ ...view(left, near, [1]), ratio: 0.5 }], 200, 100, S, 100)[0].score).toBe(0.5);
  });
});
