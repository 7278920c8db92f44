import { describe, expect, it } from 'vitest';
import { fo1ImageProcessing } from '../../model-folder/image.ts';
import { DETAIL_LEVELS, type DetailLevel } from '../api.ts';
import { DETAIL_TOKEN_CAP, atDetail, defaultDetail, detailImageTokens, detailShapes } from './detail.ts';
import { workSize } from './work-image.ts';

const fo1 = fo1ImageProcessing('dynamic');
const at = (level: DetailLevel) => atDetail(fo1, level);
const work = (w: number, h: number, level: DetailLevel) => detailShapes(w, h, at(level)).work;

describe('image-detail levels', () => {
  it('reference is the authors’ pipeline: a 4032×3024 photo is a 2048×1536 work image and 4,015 image tokens', () => {
    expect(work(4032, 3024, 'reference')).toEqual(workSize(4032, 3024, fo1));
    expect(at('reference').semantic).toEqual(fo1.semantic);
    expect(detailImageTokens(4032, 3024, at('reference'))).toBe(4015); // 2044×1540 / 28²
    expect(detailImageTokens(3024, 4032, at('reference'))).toBe(4015);
  });

  it.each([[4032, 3024], [3024, 4032], [4000, 1000], [1920, 1080]])('medium and low cap a %i×%i photo at their token count, keeping its shape', (w, h) => {
    for (const level of ['medium', 'low'] as const) {
      const tokens = detailImageTokens(w, h, at(level));
      expect(tokens).toBeLessThanOrEqual(DETAIL_TOKEN_CAP[level]!);
      expect(tokens).toBeGreaterThan(DETAIL_TOKEN_CAP[level]! * 0.85); // the cap is used, not undershot
      const [ww, wh] = work(w, h, level);
      expect(Math.abs(ww / wh - w / h) / (w / h)).toBeLessThan(0.01);
    }
  });

  it('a 640×480 photo is under every cap: the same work image and 391 tokens at every level', () => {
    for (const level of DETAIL_LEVELS) {
      expect(work(640, 480, level)).toEqual([640, 480]);
      expect(detailImageTokens(640, 480, at(level))).toBe(391); // 644×476 / 28²
    }
  });

  it('levels are ordered: fewer tokens at each lower level for a phone photo', () => {
    const [ref, medium, low] = DETAIL_LEVELS.map((l) => detailImageTokens(4032, 3024, at(l)));
    expect(ref).toBeGreaterThan(medium);
    expect(medium).toBeGreaterThan(low);
  });

  it('a level caps model.json’s bounds and never raises them: the tighter of the two binds', () => {
    // model.json with a 320 long side: below low's budget for 640×480, so the folder's bound is the one that binds.
    const small = { ...fo1, maxLongSide: 320 };
    expect(detailShapes(640, 480, atDetail(small, 'low')).work).toEqual([320, 240]);
    // model.json's max_pixels below medium's budget (1280 · 28² = 1,003,520) stays; above it, the level's applies.
    expect(atDetail({ ...fo1, semantic: { ...fo1.semantic, maxPixels: 500_000 } }, 'medium').semantic.maxPixels).toBe(500_000);
    expect(atDetail(fo1, 'medium').semantic.maxPixels).toBe(1280 * 28 ** 2);
    expect(atDetail(fo1, 'medium').maxWorkPixels).toBe(1280 * 28 ** 2);
    expect(atDetail(fo1, 'reference').maxWorkPixels).toBe(Infinity);
  });

  it('defaults: low on wasm, medium on WebGPU', () => {
    expect(defaultDetail('wasm')).toBe('low');
    expect(defaultDetail('webgpu')).toBe('medium');
  });
});
