// The streamed answer and, once it is complete, its timings and backend.

import { useShallow } from 'zustand/react/shallow';
import { selectAnswer, selectAsking } from '../store/selectors.ts';
import { useApp } from '../store/store.ts';

export function AnswerPanel() {
  const { text, answer } = useApp(useShallow(selectAnswer));
  const asking = useApp(selectAsking);
  if (!text && !asking) return null;
  return (
    <section className="answer" aria-label="Answer" aria-live="polite" aria-busy={asking}>
      <p className="answer-text">{text || 'Thinking…'}</p>
      {answer && (
        <p className="answer-meta">
          {answer.backend.toUpperCase()} · first token {answer.timings.ttftMs.toFixed(0)} ms · {answer.timings.decodeTokPerS.toFixed(1)} tokens/s
        </p>
      )}
    </section>
  );
}
