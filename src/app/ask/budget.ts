// The question box's share of the context (issue 15): the worker counts the question's prompt against the
// context before anything runs (Engine.measure → ContextReport), and these say it to the person — nothing
// while there is room, how many tokens are left once the answer would be cut short, and why Ask is off
// when the question cannot fit at all.
import type { ContextReport } from '../../protocol/messages.ts';

/** A question box longer than this is refused as typed (maxlength); the token budget below is the real limit. */
export const QUESTION_MAX_CHARS = 8192;

/** Why the question cannot be asked because of its length, or null when it fits. */
export function tooLong(budget: ContextReport | null): string | null {
  if (!budget || budget.remaining >= 1) return null;
  return `The question is too long: with the image and boxes it takes ${budget.promptTokens} tokens, and at most ${budget.contextTokens} fit with the answer. Shorten it by ${1 - budget.remaining} tokens or more.`;
}

/** The remaining budget, shown near the limit: once an answer of `maxNewTokens` would no longer fit. */
export function budgetNote(budget: ContextReport | null, maxNewTokens: number): string | null {
  if (!budget || budget.remaining < 1 || budget.remaining >= maxNewTokens) return null;
  return `${budget.remaining} tokens left for the answer (the context holds ${budget.contextTokens}); a longer answer is cut there.`;
}
