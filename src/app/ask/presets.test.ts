import { describe, expect, it } from 'vitest';
import { PRESETS, presetById, whyNotAskable } from './presets.ts';

describe('question presets', () => {
  it('cover every task preset of the protocol exactly once and send the typed text', () => {
    const ids = PRESETS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(['caption-brief', 'caption-detailed', 'count', 'detect', 'detect-all', 'find-similar', 'free', 'grounded-caption', 'ocr', 'reason']);
    expect(presetById('detect').toTask('cat, dog')).toEqual({ preset: 'detect', label: 'cat, dog' });
    expect(presetById('reason').toTask('why?')).toEqual({ preset: 'reason', question: 'why?' });
    expect(presetById('ocr').toTask('ignored')).toEqual({ preset: 'ocr' });
  });

  it('explain what is missing before a question can be asked', () => {
    expect(whyNotAskable(presetById('ocr'), '', 0, false, true)).toBe('Add an image first.');
    expect(whyNotAskable(presetById('ocr'), '', 2, true, false)).toMatch(/^Load a model first/);
    expect(whyNotAskable(presetById('ocr'), '', 0, true, true)).toMatch(/^Select at least one box/);
    expect(whyNotAskable(presetById('ocr'), '', 2, true, true)).toBeNull();
    expect(whyNotAskable(presetById('count'), '   ', 0, true, true)).toBe('What to count is empty.');
    expect(whyNotAskable(presetById('count'), 'cars', 0, true, true)).toBeNull();
    expect(whyNotAskable(presetById('grounded-caption'), '', 0, true, true)).toBeNull();
  });
});
