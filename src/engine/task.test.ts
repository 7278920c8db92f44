import { describe, expect, it } from 'vitest';
import { PromptError, renderTask } from './prompt/tasks.ts';
import { promptTask } from './task.ts';

describe('promptTask', () => {
  it('region presets cite the selected boxes', () => {
    expect(promptTask({ preset: 'region-caption-brief' }, [2, 0])).toEqual({ kind: 'region-caption-brief', regions: [2, 0] });
    expect(renderTask(promptTask({ preset: 'region-ocr' }, [1]), 3).map((s) => s.text).join('')).toBe('Please provide the ocr results of <region1> in the image.');
  });

  it('a free question with selected boxes appends their tags as trusted references; typed tags stay text', () => {
    const segments = renderTask(promptTask({ preset: 'free', text: 'Is <region0> a dog?' }, [1]), 2);
    expect(segments).toEqual([
      { text: 'Is <region0> a dog?', trusted: false },
      { text: '<region1>', trusted: true },
    ]);
  });

  it('an empty question is refused even with boxes selected', () => {
    expect(() => promptTask({ preset: 'free', text: '  ' }, [0])).toThrow(PromptError);
    expect(() => promptTask({ preset: 'reasoning', question: '' }, [])).toThrow(/empty/);
  });
});
