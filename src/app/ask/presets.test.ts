import { describe, expect, it } from 'vitest';
import { PRESETS, presetById, whyNotAskable } from './presets.ts';

describe('question presets', () => {
  it('cover every task preset of the protocol exactly once and send the typed text', () => {
    const ids = PRESETS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(['count', 'detect', 'detect-all', 'free', 'grounded-caption', 'reasoning', 'region-caption-brief', 'region-caption-detailed', 'region-ocr', 'visual-prompt-detect']);
    expect(presetById('detect').toTask('cat, dog')).toEqual({ preset: 'detect', label: 'cat, dog' });
    expect(presetById('reasoning').toTask('why?')).toEqual({ preset: 'reasoning', question: 'why?' });
    expect(presetById('region-ocr').toTask('ignored')).toEqual({ preset: 'region-ocr' });
  });

  it('explain what is missing before a question can be asked', () => {
    expect(whyNotAskable(presetById('region-ocr'), '', 0, false, true)).toBe('Add an image first.');
    expect(whyNotAskable(presetById('region-ocr'), '', 2, true, false)).toMatch(/^Load a model first/);
    expect(whyNotAskable(presetById('region-ocr'), '', 0, true, true)).toMatch(/^Select at least one box/);
    expect(whyNotAskable(presetById('region-ocr'), '', 2, true, true)).toBeNull();
    expect(whyNotAskable(presetById('count'), '   ', 0, true, true)).toBe('What to count is empty.');
    expect(whyNotAskable(presetById('count'), 'cars', 0, true, true)).toBeNull();
    expect(whyNotAskable(presetById('grounded-caption'), '', 0, true, true)).toBeNull();
  });
});
