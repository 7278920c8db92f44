import { describe, expect, it } from 'vitest';
import { rgbaToRgb, rgbImage } from './rgb-image.ts';

describe('rgb-image', () => {
  it('rgbaToRgb drops the alpha byte of each pixel', () => {
    const img = rgbaToRgb(2, 1, new Uint8ClampedArray([1, 2, 3, 0, 4, 5, 6, 255]));
    expect([img.width, img.height, Array.from(img.data)]).toEqual([2, 1, [1, 2, 3, 4, 5, 6]]);
  });

  it('rejects pixel data of the wrong length', () => {
    expect(() => rgbaToRgb(2, 2, new Uint8ClampedArray(8))).toThrow(/expected 2×2×4/);
    expect(() => rgbImage(3, 1, new Uint8Array(8))).toThrow(/expected 3×1×3 = 9/);
  });
});
