import { describe, expect, it } from 'vitest';
import { rgbImage } from '../image/rgb-image.ts';
import { BoxError } from './boxes.ts';
import { prepareImage } from './prepare.ts';

describe('prepareImage', () => {
  const photo = rgbImage(640, 480, new Uint8Array(640 * 480 * 3).map((_, i) => i % 251));

  it('produces consistent shapes and frames for a 640×480 photo', () => {
    const p = prepareImage(photo, [{ x1: 64, y1: 48, x2: 320, y2: 240 }], { auxAspectRatio: 'squash' });
    expect(p.work).toBe(photo);
    expect(p.qwen.gridThw).toEqual([1, 34, 46]); // 476×644, spec §5.1 example
    expect(p.qwen.pixelValues.length).toBe(34 * 46 * 1176);
    expect([p.davit.width, p.davit.height]).toEqual([768, 768]);
    expect(p.boxes.aux[0]).toEqual({ x1: 64 * 1.2, y1: 48 * 1.6, x2: 320 * 1.2, y2: 240 * 1.6 });
    expect(p.boxes.vt[0].x2).toBeCloseTo(320 * (644 / 640), 9);
    expect(p.boxes.vt[0].y2).toBeCloseTo(240 * (476 / 480), 9);
  });

  it('refuses bad boxes before any pixel work', () => {
    expect(() => prepareImage(photo, [{ x1: 10, y1: 10, x2: 5, y2: 20 }], { auxAspectRatio: 'dynamic' })).toThrow(BoxError);
  });
});
