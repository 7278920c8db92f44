// How an answer that did not end on its own is said to a person, in the same words by the CLI (stderr) and
// the page (under the answer): cut at the asked-for length, or at a full context (issue 15), with the cap
// when fewer new tokens fit than were asked for.
import type { Answer } from './messages.ts';

/** The note for `answer`'s end, or null when the model ended it (its stop token) with all the room asked for. */
export function stopNote(answer: Pick<Answer, 'stop' | 'cappedNewTokens'>): string | null {
  const c = answer.cappedNewTokens;
  const capped = c ? ` (${c.allowed} new tokens fit of the ${c.asked} asked for)` : '';
  if (answer.stop === 'context-full') return `stopped: context full${capped}`;
  if (answer.stop === 'max-tokens') return `stopped at the answer length limit${capped}`;
  // The model ended it, but it had less room than asked for: still said, as the cap was applied.
  return c ? `${c.allowed} new tokens fit of the ${c.asked} asked for (the context was nearly full)` : null;
}
