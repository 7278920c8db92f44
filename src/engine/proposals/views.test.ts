import { describe, expect, it } from 'vitest';
import { rgbImage } from '../image/rgb-image.ts';
import { cropView, planViews, type View } from './views.ts';

/** Every pixel of the photo lies in some view, and every view lies inside the photo. */
function expectCover(views: View[], width: number, height: number): void {
  for (const v of views) {
    expect(v.x).toBeGreaterThanOrEqual(0);
    expect(v.y).toBeGreaterThanOrEqual(0);
    expect(v.x + v.width).toBeLessThanOrEqual(width);
    expect(v.y + v.height).toBeLessThanOrEqual(height);
  }
  const step = Math.max(7, Math.floor(width / 64)); // a probe grid, not every pixel of a phone photo
  for (let y = 0; y < height; y += step)
    for (let x = 0; x < width; x += step) expect(views.some((v) => x >= v.x && x < v.x + v.width && y >= v.y && y < v.y + v.height), `pixel (${x}, ${y})`).toBe(true);
}

describe('planViews', () => {
  it('splits a 4:3 landscape photo into two overlapping tiles of its full height at 2 views', () => {
    const views = planViews(640, 480, 416, 2);
    expect(views).toEqual([{ x: 0, y: 0, width: 448, height: 480 }, { x: 192, y: 0, width: 448, height: 480 }]);
    expectCover(views, 640, 480);
    // the tiles' scale is 416/480 instead of the whole photo's 416/640
  });

  it('splits a portrait photo along its height', () => {
    expect(planViews(480, 640, 416, 2)).toEqual([{ x: 0, y: 0, width: 480, height: 448 }, { x: 0, y: 192, width: 480, height: 448 }]);
  });

  it('keeps a photo whole when tiles would not raise its scale, when it fits the input, and at 1 view', () => {
    expect(planViews(500, 500, 416, 2)).toEqual([{ x: 0, y: 0, width: 500, height: 500 }]);
    expect(planViews(640, 480, 416, 1)).toEqual([{ x: 0, y: 0, width: 640, height: 480 }]);
    expect(planViews(320, 240, 416, 7)).toEqual([{ x: 0, y: 0, width: 320, height: 240 }]); // fits the input whole
  });

  it('gives a phone photo the whole view first, then a 3×2 grid of overlapping tiles, at 7 views', () => {
    const views = planViews(4032, 3024, 416, 7);
    expect(views).toHaveLength(7);
    expect(views[0]).toEqual({ x: 0, y: 0, width: 4032, height: 3024 });
    const tiles = views.slice(1);
    expect(new Set(tiles.map((t) => `${t.width}×${t.height}`))).toEqual(new Set(['1882×2117']));
    expect([...new Set(tiles.map((t) => t.x))]).toEqual([0, 1075, 2150]);
    expect([...new Set(tiles.map((t) => t.y))]).toEqual([0, 907]);
    expectCover(tiles, 4032, 3024);
    // neighbours overlap: an object up to 0.4 of a tile's share lies whole in one tile
    expect(tiles[0].x + tiles[0].width - tiles[1].x).toBeGreaterThan(0.4 * (4032 / 3));
  });

  it('adds the whole photo only when the budget has room beside the grid', () => {
    const views = planViews(640, 480, 416, 3);
    expect(views[0]).toEqual({ x: 0, y: 0, width: 640, height: 480 });
    expect(views.slice(1)).toEqual(planViews(640, 480, 416, 2));
  });

  it('refuses sizes and budgets that are not positive integers, naming them', () => {
    expect(() => planViews(0, 480, 416, 2)).toThrow(/photo size must be positive integers, got 0×480/);
    expect(() => planViews(640, 480, 416, 0)).toThrow(/maxViews must be a positive integer, got 0/);
  });
});

describe('cropView', () => {
  const img = rgbImage(4, 3, Uint8Array.from({ length: 36 }, (_, i) => i));

  it('copies the view\'s pixels, row by row', () => {
    const c = cropView(img, { x: 1, y: 1, width: 2, height: 2 });
    expect([c.width, c.height]).toEqual([2, 2]);
    // pixel (x, y) starts at byte (y·4 + x)·3
    expect([...c.data]).toEqual([15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
  });

  it('returns the photo itself for the whole view, and refuses a view outside the photo', () => {
    expect(cropView(img, { x: 0, y: 0, width: 4, height: 3 })).toBe(img);
    expect(() => cropView(img, { x: 3, y: 0, width: 2, height: 3 })).toThrow(/view 2×3 at \(3, 0\) is outside the 4×3 photo/);
  });
});
