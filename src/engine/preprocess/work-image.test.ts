import { describe, expect, it } from 'vitest';
import { rgbImage } from '../image/rgb-image.ts';
import { fo1ImageProcessing } from '../../model-folder/image.ts';
import { toWorkImage, workSize } from './work-image.ts';

const fo1 = fo1ImageProcessing('dynamic');

describe('workSize', () => {
  it('caps the long side at 2048 with int truncation of old × (2048 / long)', () => {
    expect(workSize(4032, 3024, fo1)).toEqual([2048, 1536]);
    expect(workSize(3000, 4001, fo1)).toEqual([1535, 2048]); // 3000 · 2048/4001 = 1535.6 → 1535
    expect(workSize(2048, 100, fo1)).toEqual([2048, 100]);
    expect(workSize(640, 480, fo1)).toEqual([640, 480]);
  });

  it('makes each side at least 28', () => {
    expect(workSize(20, 10, fo1)).toEqual([28, 28]);
    expect(workSize(8000, 50, fo1)).toEqual([2048, 28]); // 50 · 0.256 = 12.8 → 12 → 28
  });
});

describe('toWorkImage', () => {
  it('returns the same image when no resize is needed, and a resized one otherwise', () => {
    const small = rgbImage(30, 40, new Uint8Array(30 * 40 * 3).fill(9));
    expect(toWorkImage(small, fo1)).toBe(small);
    const tiny = toWorkImage(rgbImage(10, 40, new Uint8Array(10 * 40 * 3).fill(9)), fo1);
    expect([tiny.width, tiny.height]).toEqual([28, 40]);
    expect(tiny.data.every((v) => v === 9)).toBe(true);
  });
});
