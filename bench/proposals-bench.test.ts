import { describe, expect, it } from 'vitest';
import { countFound, RECALL_TOP } from './proposals-bench.ts';

const b = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

describe('countFound (recall@0.5 of the top 100)', () => {
  it('counts an object found when a proposal reaches IoU 0.5 with it', () => {
    const truth = [b(0, 0, 10, 10), b(50, 50, 60, 60)];
    expect(countFound(truth, [b(0, 0, 10, 20)])).toBe(1); // IoU exactly 0.5
    expect(countFound(truth, [b(0, 0, 10, 21)])).toBe(0); // just under
    expect(countFound(truth, [b(50, 50, 60, 60), b(1, 1, 10, 10)])).toBe(2);
  });

  it('looks only at the first 100 proposals', () => {
    const far = Array.from({ length: RECALL_TOP }, (_, i) => b(200 + i, 200, 201 + i, 201));
    expect(countFound([b(0, 0, 10, 10)], [...far, b(0, 0, 10, 10)])).toBe(0);
  });
});
