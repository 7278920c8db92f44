import { describe, expect, it } from 'vitest';
import { spreadBoxes } from './vision-bench.ts';

describe('spreadBoxes', () => {
  it('gives the count asked for, each a non-empty box inside the photo', () => {
    for (const n of [1, 20, 100]) {
      const boxes = spreadBoxes(n, 640, 480);
      expect(boxes).toHaveLength(n);
      for (const b of boxes) {
        expect(b.x2).toBeGreaterThan(b.x1);
        expect(b.y2).toBeGreaterThan(b.y1);
        expect(b.x1).toBeGreaterThanOrEqual(0);
        expect(b.y1).toBeGreaterThanOrEqual(0);
        expect(b.x2).toBeLessThanOrEqual(640);
        expect(b.y2).toBeLessThanOrEqual(480);
      }
    }
  });

  it('gives no boxes for a count of 0 (nothing to pad)', () => {
    expect(spreadBoxes(0, 640, 480)).toEqual([]);
  });
});
