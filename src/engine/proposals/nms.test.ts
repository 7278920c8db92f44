import { describe, expect, it } from 'vitest';
import { iou, nms } from './nms.ts';

const b = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

describe('nms', () => {
  it('computes IoU', () => {
    expect(iou(b(0, 0, 10, 10), b(5, 0, 15, 10))).toBeCloseTo(50 / 150, 12);
    expect(iou(b(0, 0, 10, 10), b(10, 0, 20, 10))).toBe(0);
  });

  it('keeps the best of overlapping boxes and all disjoint ones, best first', () => {
    const boxes = [b(0, 0, 10, 10), b(1, 0, 11, 10), b(50, 50, 60, 60), b(0, 0, 10, 10.5)];
    // IoU(0,1) = 90/110 = 0.82 > 0.65 → 1 goes; IoU(0,3) = 100/105 > 0.65 → 0 goes (3 scores higher).
    expect(nms(boxes, [0.9, 0.8, 0.5, 0.95], 0.65)).toEqual([3, 2]);
    // With a threshold of 0.85, box 1 (IoU with 3 = 90/115 = 0.78) survives.
    expect(nms(boxes, [0.9, 0.8, 0.5, 0.95], 0.85)).toEqual([3, 1, 2]);
  });

  it('stops at the limit', () => {
    const boxes = [b(0, 0, 1, 1), b(2, 2, 3, 3), b(4, 4, 5, 5)];
    expect(nms(boxes, [0.1, 0.3, 0.2], 0.5, 2)).toEqual([1, 2]);
  });
});

describe('nms with prior boxes', () => {
  it('lets prior boxes suppress without returning them', () => {
    const boxes = [b(0, 0, 10, 10), b(20, 0, 30, 10)];
    expect(nms(boxes, [0.9, 0.5], 0.5, Infinity, [b(0, 0, 10, 11)])).toEqual([1]);
    expect(nms(boxes, [0.9, 0.5], 0.5, Infinity, [b(100, 100, 110, 110)])).toEqual([0, 1]);
  });
});
