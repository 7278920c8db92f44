import { describe, expect, it } from 'vitest';
import { rgbImage } from '../image/rgb-image.ts';
import fixture from './resample.pil-fixture.json';
import { axisCoefficients, resizeRgb, type ResampleFilter } from './resample.ts';

/** The 23×17 pattern the fixture was made from (see its `source`). */
function pattern() {
  const W = 23;
  const H = 17;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = (x * x * 7 + y * 13 + c * 50 + ((x ^ y) & 8) * 20) % 256;
  return rgbImage(W, H, data);
}

describe('resizeRgb (PIL-exact)', () => {
  it.each(fixture.cases.map((c) => [c.width, c.height, c.filter, c.rgbBase64] as const))(
    'equals Pillow for 23×17 → %i×%i %s, byte for byte',
    (width, height, filter, expected) => {
      const out = resizeRgb(pattern(), width, height, filter as ResampleFilter);
      expect([out.width, out.height]).toEqual([width, height]);
      expect(Buffer.from(out.data).toString('base64')).toBe(expected);
    },
  );

  it('keeps a constant image constant at any size (taps sum to one)', () => {
    const flat = rgbImage(31, 19, new Uint8Array(31 * 19 * 3).fill(200));
    for (const [w, h] of [[7, 5], [64, 50], [31, 3]]) {
      expect(resizeRgb(flat, w, h, 'bicubic').data.every((v) => v === 200)).toBe(true);
    }
  });

  it('returns a copy when the size does not change', () => {
    const img = pattern();
    const out = resizeRgb(img, img.width, img.height, 'bicubic');
    expect(out.data).not.toBe(img.data);
    expect(Array.from(out.data)).toEqual(Array.from(img.data));
  });

  it('widens the filter when downscaling (antialias) and not when upscaling', () => {
    expect(axisCoefficients(100, 50, 'bicubic').ksize).toBe(9); // support 2·2 = 4 → 2·4 + 1
    expect(axisCoefficients(50, 100, 'bicubic').ksize).toBe(5);
    expect(axisCoefficients(100, 25, 'bilinear').ksize).toBe(9);
  });

  it('refuses a non-integer or empty target', () => {
    expect(() => resizeRgb(pattern(), 0, 4, 'bicubic')).toThrow(/positive integers/);
    expect(() => resizeRgb(pattern(), 4.5, 4, 'bicubic')).toThrow(/positive integers/);
  });
});
