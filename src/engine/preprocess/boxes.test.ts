import { describe, expect, it } from 'vitest';
import type { PixelBox, VtBox } from '../../model-folder/boxes.ts';
import { BoxError, boxFrames, validateBoxes, type BoxErrorCode } from './boxes.ts';

const image = { width: 640, height: 480 };
const box = (x1: number, y1: number, x2: number, y2: number): PixelBox => ({ x1, y1, x2, y2 });

function refusal(boxes: PixelBox[]): BoxError {
  try {
    validateBoxes(boxes, image);
  } catch (e) {
    if (e instanceof BoxError) return e;
    throw e;
  }
  throw new Error('validateBoxes accepted the boxes');
}

describe('validateBoxes', () => {
  it('accepts boxes inside or partly outside the image', () => {
    expect(() => validateBoxes([box(0, 0, 640, 480), box(-20, 10, 30, 500), box(1.5, 2.5, 3.5, 4.5)], image)).not.toThrow();
  });

  it.each([
    ['not-finite', box(Number.NaN, 0, 10, 10), /box 1 \[NaN, 0, 10, 10\].*finite/],
    ['not-finite', box(0, 0, Number.POSITIVE_INFINITY, 10), /finite/],
    ['inverted', box(50, 10, 20, 40), /box 1 .*inverted/],
    ['outside', box(700, 10, 800, 40), /entirely outside the 640×480 image/],
    ['outside', box(-50, -50, 0, 0), /entirely outside/],
    ['zero-area', box(10, 10, 10, 40), /is empty: it has no width/],
    ['zero-area', box(0, 0, 0, 0), /box 1 \[0, 0, 0, 0\] is empty/],
    ['zero-area', box(10, 700, 50, 700), /is empty: it has no height/],
  ] as [BoxErrorCode, PixelBox, RegExp][])('refuses %s: %j', (code, bad, message) => {
    const e = refusal([box(0, 0, 10, 10), bad]);
    expect(e.code).toBe(code);
    expect(e.index).toBe(1);
    expect(e.message).toMatch(message);
  });

  it('refuses more than 100 boxes', () => {
    const e = refusal(Array.from({ length: 101 }, () => box(0, 0, 10, 10)));
    expect([e.code, e.index]).toEqual(['too-many', null]);
    expect(e.message).toMatch(/101 boxes .* at most 100/);
  });
});

describe('boxFrames', () => {
  it('keeps the frames apart in the types (tsc checks the expected errors)', () => {
    const size = { width: 64, height: 48 };
    const f = boxFrames(validateBoxes([box(1, 2, 30, 40)], size), size, size, size, size);
    // @ts-expect-error an aux box is not a vt box, even where the two frames have the same size
    const vt: VtBox[] = f.aux;
    // @ts-expect-error a plain box has no frame until validateBoxes takes it as the original image's
    expect(() => boxFrames([box(1, 2, 30, 40)], size, size, size, size)).not.toThrow();
    expect(vt).toEqual(f.vt);
  });
  it('scales into the work image, clamps, then scales into the DaViT and Qwen frames', () => {
    // A 4096×3000 photo: work 2048×1500, DaViT squash 768×768, Qwen 2044×1484.
    const original = { width: 4096, height: 3000 };
    const f = boxFrames(validateBoxes([box(-100, 300, 1000, 3200)], original), original, { width: 2048, height: 1500 }, { width: 768, height: 768 }, { width: 2044, height: 1484 });
    expect(f.work[0]).toEqual(box(-50, 150, 500, 1600));
    const aux = f.aux[0];
    expect([aux.x1, aux.y1, aux.x2, aux.y2]).toEqual([0, 150 * (768 / 1500), 500 * (768 / 2048), 1500 * (768 / 1500)]);
    const vt = f.vt[0];
    expect(vt.x2).toBeCloseTo(500 * (2044 / 2048), 9);
    expect(vt.y1).toBeCloseTo(150 * (1484 / 1500), 9);
    expect(vt.y2).toBeCloseTo(1484, 9);
  });
});
