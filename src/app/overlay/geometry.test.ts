import { describe, expect, it } from 'vitest';
import { boxFromCorners, fitImage, handlePoint, hitBox, imagePoint, moveBox, resizeBox, screenPoint, toImage, toScreen, viewportOf } from './geometry.ts';

const image = { width: 640, height: 480 };

describe('overlay geometry', () => {
  it('fits the image into the container, keeping its aspect ratio', () => {
    expect(fitImage(image, { width: 320, height: 1000 })).toEqual({ width: 320, height: 240, scale: 0.5 });
    expect(fitImage(image, { width: 2000, height: 960 })).toEqual({ width: 1280, height: 960, scale: 2 });
    expect(() => fitImage({ width: 0, height: 5 }, { width: 10, height: 10 })).toThrow('image size 0×5 is empty');
  });

  it('maps screen ↔ image through the viewport of the drawn image', () => {
    const v = viewportOf({ left: 100, top: 50, width: 320 }, image); // drawn at half size
    expect(v).toEqual({ left: 100, top: 50, scale: 0.5 });
    expect(toImage(screenPoint(260, 170), v)).toEqual({ x: 320, y: 240 });
    expect(toScreen(imagePoint(640, 480), v)).toEqual({ x: 420, y: 290 });
    expect(toImage(toScreen(imagePoint(12.5, 7), v), v)).toEqual({ x: 12.5, y: 7 });
  });

  it('builds boxes from corners in any order, clamped to the image', () => {
    expect(boxFromCorners(imagePoint(50, 60), imagePoint(10, 20), image)).toEqual({ x1: 10, y1: 20, x2: 50, y2: 60 });
    expect(boxFromCorners(imagePoint(-5, 400), imagePoint(700, 500), image)).toEqual({ x1: 0, y1: 400, x2: 640, y2: 480 });
  });

  it('hits the smallest box under the point so nested boxes stay reachable', () => {
    const boxes = [{ x1: 0, y1: 0, x2: 400, y2: 400 }, { x1: 100, y1: 100, x2: 150, y2: 150 }];
    expect(hitBox(boxes, imagePoint(120, 120))).toBe(1);
    expect(hitBox(boxes, imagePoint(300, 300))).toBe(0);
    expect(hitBox(boxes, imagePoint(500, 10))).toBeNull();
  });

  it('resizes by the edges a handle controls and flips past the opposite edge', () => {
    const b = { x1: 10, y1: 10, x2: 50, y2: 40 };
    expect(handlePoint(b, 'se')).toEqual({ x: 50, y: 40 });
    expect(handlePoint(b, 'n')).toEqual({ x: 30, y: 10 });
    expect(resizeBox(b, 'se', imagePoint(80, 90), image)).toEqual({ x1: 10, y1: 10, x2: 80, y2: 90 });
    expect(resizeBox(b, 'w', imagePoint(70, 0), image)).toEqual({ x1: 50, y1: 10, x2: 70, y2: 40 });
    expect(resizeBox(b, 'nw', imagePoint(-30, -30), image)).toEqual({ x1: 0, y1: 0, x2: 50, y2: 40 });
  });

  it('moves a box but keeps it whole inside the image', () => {
    const b = { x1: 10, y1: 10, x2: 50, y2: 40 };
    expect(moveBox(b, 5, 6, image)).toEqual({ x1: 15, y1: 16, x2: 55, y2: 46 });
    expect(moveBox(b, 1000, -1000, image)).toEqual({ x1: 600, y1: 0, x2: 640, y2: 30 });
  });
});
