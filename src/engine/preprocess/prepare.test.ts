import { describe, expect, it } from 'vitest';
import { fo1ImageProcessing } from '../../model-folder/image.ts';
import { rgbImage } from '../image/rgb-image.ts';
import { BoxError } from './boxes.ts';
import { atDetail } from './detail.ts';
import { prepareBoxes, prepareImage } from './prepare.ts';

describe('prepareImage, prepareBoxes', () => {
  const photo = rgbImage(640, 480, new Uint8Array(640 * 480 * 3).map((_, i) => i % 251));

  it('produces consistent shapes and frames for a 640×480 photo', () => {
    const p = prepareImage(photo, atDetail(fo1ImageProcessing('squash'), 'reference'));
    const boxes = prepareBoxes(p, [{ x1: 64, y1: 48, x2: 320, y2: 240 }]);
    expect(p.work).toBe(photo);
    expect(p.qwen.gridThw).toEqual([1, 34, 46]); // 476×644 (docs/model-format.md: smart_resize to multiples of 28)
    expect(p.qwen.pixelValues.length).toBe(34 * 46 * 1176);
    expect([p.davit.width, p.davit.height]).toEqual([768, 768]);
    expect(boxes.aux[0]).toEqual({ x1: 64 * 1.2, y1: 48 * 1.6, x2: 320 * 1.2, y2: 240 * 1.6 });
    expect(boxes.vt[0].x2).toBeCloseTo(320 * (644 / 640), 9);
    expect(boxes.vt[0].y2).toBeCloseTo(240 * (476 / 480), 9);
  });

  it('runs with the folder\'s constants: a smaller cap in model.json gives a smaller work image', () => {
    const p = prepareImage(photo, atDetail({ ...fo1ImageProcessing('dynamic'), maxLongSide: 320 }, 'reference'));
    expect([p.work.width, p.work.height, p.davit.width, p.davit.height]).toEqual([320, 240, 320, 240]);
  });

  it('refuses bad boxes', () => {
    const p = prepareImage(photo, atDetail(fo1ImageProcessing('dynamic'), 'reference'));
    expect(() => prepareBoxes(p, [{ x1: 10, y1: 10, x2: 5, y2: 20 }])).toThrow(BoxError);
  });
});
