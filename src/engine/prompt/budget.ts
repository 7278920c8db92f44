// The context budget of one question (issue 15), computed from the prompt sequence before any graph runs:
// the prompt (system text, N image tokens at this image's size, <regionk> + one slot per box, the question
// in its template) and the answer share the positions the decoder's KV cache holds and the model was
// trained for (Fo1Model.contextTokens). A prompt that leaves no room is the person's input to shorten, said
// with the counts; a longer answer than fits is capped to what remains, and the answer says so.
import type { PromptSequence } from './sequence.ts';

export class ContextError extends Error {
  override name = 'ContextError';
}

/** Where the prompt's positions go, and what is left for the answer. */
export interface ContextBudget {
  /** Positions the prompt takes (S). */
  promptTokens: number;
  imageTokens: number;
  /** Between the image and the question: every box's `<regionk>` tag and feature slot (and `<|vision_end|>\n`). */
  regionTokens: number;
  /** The question in its task template, from the prompt's taskStart to its end. */
  questionTokens: number;
  /** Positions prompt + answer may take. */
  contextTokens: number;
  /** New tokens that fit after the prompt: contextTokens − promptTokens (≥ 1 once checked). */
  remaining: number;
}

export function contextBudget(seq: PromptSequence, contextTokens: number): ContextBudget {
  const promptTokens = seq.ids.length;
  const questionTokens = promptTokens - seq.taskStart;
  return {
    promptTokens,
    imageTokens: seq.imageTokens,
    regionTokens: seq.taskStart - seq.imageStart - seq.imageTokens,
    questionTokens,
    contextTokens,
    remaining: contextTokens - promptTokens,
  };
}

/** Throws a ContextError, with the counts, when the prompt leaves no room for a single answer token. */
export function checkFits(b: ContextBudget): void {
  if (b.remaining >= 1) return;
  const parts = [`${b.imageTokens} for the image`, ...(b.regionTokens > 0 ? [`${b.regionTokens} for the boxes`] : []), `${b.questionTokens} for the question`];
  const over = 1 - b.remaining;
  const advice = over < b.questionTokens ? `shorten the question by at least ${over} tokens` : 'even an empty question would not fit: use a smaller photo or fewer boxes';
  throw new ContextError(`the question is too long: the prompt takes ${b.promptTokens} tokens (${parts.join(', ')}, the rest fixed) and at most ${b.contextTokens} fit with the answer; ${advice}`);
}

/** The new tokens to generate: `asked`, or what remains when that is less (then `capped`). */
export function capNewTokens(b: ContextBudget, asked: number): { maxNewTokens: number; capped: boolean } {
  return asked > b.remaining ? { maxNewTokens: b.remaining, capped: true } : { maxNewTokens: asked, capped: false };
}
