import { describe, expect, it } from 'vitest';
import { roundHalfEven, smartResize } from './smart-resize.ts';

const MIN = 56 * 56;
const MAX = 2048 * 2048;

describe('smartResize', () => {
  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6, 7].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3, 7]);
  });

  it('matches hand-computed sizes', () => {
    expect(smartResize(876, 1300, 28, MIN, 12845056)).toEqual([868, 1288]); // the preprocess reference photo
    expect(smartResize(480, 640, 28, MIN, MAX)).toEqual([476, 644]); // docs/model-format.md's example: 17·28, 23·28
    expect(smartResize(1536, 2048, 28, MIN, MAX)).toEqual([1540, 2044]); // 55·28, 73·28
    // 42/28 = 1.5 and 70/28 = 2.5: both halves round to even (2, 2), not up (2, 3).
    expect(smartResize(42, 70, 28, 0, MAX)).toEqual([56, 56]);
  });

  it('scales up below min_pixels with ceil', () => {
    // 28×28: round gives 28×28 = 784 < 3136; beta = sqrt(3136/784) = 2 → ceil(56/28)·28 = 56.
    expect(smartResize(28, 28, 28, MIN, MAX)).toEqual([56, 56]);
    // 30×100: 28×112 = 3136 is not below min → kept.
    expect(smartResize(30, 100, 28, MIN, MAX)).toEqual([28, 112]);
  });

  it('scales down above max_pixels with floor', () => {
    // 1000×1000 with max 500·500: beta = 2 → floor(500/28)·28 = 17·28 = 476.
    expect(smartResize(1000, 1000, 28, MIN, 500 * 500)).toEqual([476, 476]);
  });

  it('refuses an aspect ratio above 200', () => {
    expect(() => smartResize(10, 2010, 28, MIN, MAX)).toThrow(/aspect ratio/);
  });
});
