import { describe, expect, it } from 'vitest';
import { rgbImage } from '../image/rgb-image.ts';
import { fo1ImageProcessing } from '../../model-folder/image.ts';
import { davitInput, davitSize } from './davit-input.ts';

/** FO1's DaViT constants under aspect mode `mode` (any string: unknown ones behave as squash). */
const fo1 = (mode: string) => ({ ...fo1ImageProcessing('squash').perception, aspectMode: mode });

describe('davitSize', () => {
  it('squash is 768×768, as is any unknown mode', () => {
    expect(davitSize(640, 480, fo1('squash'))).toEqual([768, 768]);
    expect(davitSize(640, 480, fo1('pad'))).toEqual([768, 768]);
  });

  it('dynamic keeps the work image size', () => {
    expect(davitSize(1288, 868, fo1('dynamic'))).toEqual([1288, 868]);
  });

  it('dynamic_square picks the listed side whose area is closest', () => {
    expect(davitSize(640, 480, fo1('dynamic_square'))).toEqual([576, 576]); // 307200: 576² = 331776 beats 512² = 262144
    expect(davitSize(2048, 1536, fo1('dynamic_square'))).toEqual([1792, 1792]); // 3145728: 1792² = 3211264
    expect(davitSize(100, 100, fo1('dynamic_square'))).toEqual([384, 384]);
    expect(davitSize(2048, 2048, fo1('dynamic_square'))).toEqual([2048, 2048]);
  });
});

describe('davitInput', () => {
  it('normalizes with ImageNet mean/std into (1, 3, H, W)', () => {
    const img = rgbImage(2, 1, new Uint8Array([255, 0, 128, 0, 255, 64]));
    const { pixelValues, width, height } = davitInput(img, fo1('dynamic'));
    expect([width, height, pixelValues.length]).toEqual([2, 1, 6]);
    const expected = [(1 - 0.485) / 0.229, (0 - 0.485) / 0.229, (0 - 0.456) / 0.224, (1 - 0.456) / 0.224, (128 / 255 - 0.406) / 0.225, (64 / 255 - 0.406) / 0.225];
    expected.forEach((v, i) => expect(pixelValues[i]).toBeCloseTo(v, 5));
  });

  it('resizes for squash', () => {
    const { pixelValues, width, height } = davitInput(rgbImage(30, 20, new Uint8Array(30 * 20 * 3).fill(128)), fo1('squash'));
    expect([width, height, pixelValues.length]).toEqual([768, 768, 3 * 768 * 768]);
  });
});
