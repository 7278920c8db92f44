import { describe, expect, it } from 'vitest';
import { DETAIL_LEVELS } from '../../protocol/messages.ts';
import { DETAIL_TOKEN_CAP, defaultDetail, detailImageTokens, detailWorkSize } from './detail.ts';
import { FO1_QWEN_PREPROCESS } from './qwen-pixels.ts';
import { workSize } from './work-image.ts';

const geo = FO1_QWEN_PREPROCESS;

describe('image-detail levels', () => {
  it('reference is the authors’ pipeline: a 4032×3024 photo is a 2048×1536 work image and 4,015 image tokens', () => {
    expect(detailWorkSize(4032, 3024, 'reference', geo)).toEqual(workSize(4032, 3024));
    expect(detailImageTokens(4032, 3024, 'reference', geo)).toBe(4015); // 2044×1540 / 28²
    expect(detailImageTokens(3024, 4032, 'reference', geo)).toBe(4015);
  });

  it.each([[4032, 3024], [3024, 4032], [4000, 1000], [1920, 1080]])('medium and low cap a %i×%i photo at their token count, keeping its shape', (w, h) => {
    for (const level of ['medium', 'low'] as const) {
      const tokens = detailImageTokens(w, h, level, geo);
      expect(tokens).toBeLessThanOrEqual(DETAIL_TOKEN_CAP[level]!);
      expect(tokens).toBeGreaterThan(DETAIL_TOKEN_CAP[level]! * 0.85); // the cap is used, not undershot
      const [ww, wh] = detailWorkSize(w, h, level, geo);
      expect(Math.abs(ww / wh - w / h) / (w / h)).toBeLessThan(0.01);
    }
  });

  it('a 640×480 photo is under every cap: the same work image and 391 tokens at every level', () => {
    for (const level of DETAIL_LEVELS) {
      expect(detailWorkSize(640, 480, level, geo)).toEqual([640, 480]);
      expect(detailImageTokens(640, 480, level, geo)).toBe(391); // 644×476 / 28²
    }
  });

  it('levels are ordered: fewer tokens at each lower level for a phone photo', () => {
    const [ref, medium, low] = DETAIL_LEVELS.map((l) => detailImageTokens(4032, 3024, l, geo));
    expect(ref).toBeGreaterThan(medium);
    expect(medium).toBeGreaterThan(low);
  });

  it('defaults: low on wasm, medium on WebGPU', () => {
    expect(defaultDetail('wasm')).toBe('low');
    expect(defaultDetail('webgpu')).toBe('medium');
  });
});
