import { describe, expect, it } from 'vitest';
import { stopNote } from '../../protocol/stop-note.ts';
import { budgetNote, tooLong } from './budget.ts';
import { presetById, whyNotAskable } from './presets.ts';

const report = (promptTokens: number, contextTokens = 8192) => ({ promptTokens, contextTokens, remaining: contextTokens - promptTokens });

describe('the question budget', () => {
  it('says nothing while an answer of the chosen length fits, the tokens left once it would not', () => {
    expect(budgetNote(null, 256)).toBeNull();
    expect(budgetNote(report(1000), 256)).toBeNull();
    expect(budgetNote(report(8192 - 256), 256)).toBeNull();
    expect(budgetNote(report(8000), 256)).toBe('192 tokens left for the answer (the context holds 8192); a longer answer is cut there.');
    expect(budgetNote(report(8192), 256)).toBeNull(); // too long: Ask says why instead
  });

  it('turns Ask off for a question that cannot fit, with its counts', () => {
    expect(tooLong(report(8191))).toBeNull();
    expect(tooLong(report(9000))).toBe('The question is too long: with the image and boxes it takes 9000 tokens, and at most 8192 fit with the answer. Shorten it by 809 tokens or more.');
    expect(whyNotAskable(presetById('free'), 'why', 0, true, true, report(9000))).toMatch(/^The question is too long/);
    expect(whyNotAskable(presetById('free'), '', 0, true, true, report(9000))).toBe('Question is empty.');
  });

  it('says how an answer ended when the model did not end it, and when it was capped', () => {
    expect(stopNote({ stop: 'stop-token' })).toBeNull();
    expect(stopNote({ stop: 'max-tokens' })).toBe('stopped at the answer length limit');
    expect(stopNote({ stop: 'context-full', cappedNewTokens: { asked: 1024, allowed: 150 } })).toBe('stopped: context full (150 new tokens fit of the 1024 asked for)');
    expect(stopNote({ stop: 'stop-token', cappedNewTokens: { asked: 1024, allowed: 150 } })).toBe('150 new tokens fit of the 1024 asked for (the context was nearly full)');
  });
});
