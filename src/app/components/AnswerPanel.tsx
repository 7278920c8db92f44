// The conversation about the current image: each question with its answer streaming in, the regions the
// answer cites as chips (hovering a chip lights up its box and the other way round), the last answer's
// timings and backend, and the actions on results (copy, export JSON/PNG, show only cited boxes).

import { useEffect, useRef } from 'react';
import type { AnswerTimings, Backend } from '../../protocol/messages.ts';
import { stopNote } from '../../protocol/stop-note.ts';
import { copyAnswer, exportJson, exportPng } from '../export/actions.ts';
import { BACKEND_NAMES } from '../model/backend.ts';
import { citationsOf, labelColor, latestAnswered, regionColor } from '../overlay/items.ts';
import type { Turn } from '../store/askSlice.ts';
import { selectAsking, selectHovered, selectTurns } from '../store/selectors.ts';
import { appStore, useApp } from '../store/store.ts';

function Timings({ t, backend, prefixReused }: { t: AnswerTimings; backend: Backend; prefixReused: boolean }) {
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  return (
    <p className="answer-meta" data-testid="timings">
      {BACKEND_NAMES[backend]} · image {ms(t.preprocessMs + t.visionMs)} · regions {ms(t.regionsMs)} · prefill {ms(t.prefillMs)}{prefixReused ? ' (the question only: photo and boxes read ahead)' : ''} · first token {ms(t.ttftMs)} · {t.decodeTokPerS.toFixed(1)} tokens/s
    </p>
  );
}

/** A chip per cited region; the box id is looked up through the boxes as they were when asked. */
function CitedChips({ turn }: { turn: Turn }) {
  const hovered = useApp(selectHovered);
  const boxes = useApp((s) => s.boxes);
  const { setHovered, selectBox } = appStore.getState();
  const regions = turn.answer?.regions ?? [];
  if (regions.length === 0) return null;
  const named = regions.filter((r) => r.label !== '');
  return (
    <div className="chips" role="group" aria-label="Regions the answer cites" data-testid="cited">
      {regions.flatMap((r) =>
        r.indices.map((i) => {
          const id = turn.boxIds[i];
          const now = boxes.findIndex((b) => b.id === id);
          const color = r.label === '' ? regionColor(now >= 0 ? now : i) : labelColor(named.indexOf(r));
          const name = r.label === '' ? `region ${i}` : `${r.label} · region ${i}`;
          return (
            <button
              key={`${r.label}-${i}`}
              type="button"
              className="chip"
              style={{ borderColor: color }}
              data-hovered={(id !== undefined && hovered === id) || undefined}
              disabled={now < 0}
              title={now < 0 ? 'This box has been removed since' : undefined}
              onPointerEnter={() => setHovered(id ?? null)}
              onPointerLeave={() => setHovered(null)}
              onFocus={() => setHovered(id ?? null)}
              onBlur={() => setHovered(null)}
              onClick={() => now >= 0 && selectBox(now, false)}
              aria-label={`Cited: ${name}`}
            >
              <span className="chip-dot" style={{ background: color }} />
              {name}
            </button>
          );
        }),
      )}
    </div>
  );
}

function TurnView({ turn, last }: { turn: Turn; last: boolean }) {
  const streaming = turn.status === 'streaming';
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    // A new question brings its answer into view: on a phone the conversation is below the fold.
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  return (
    <article ref={ref} className="turn" data-testid="turn" data-status={turn.status} aria-busy={streaming}>
      <p className="turn-question">
        <strong>{turn.question}</strong>
        {turn.regions.length > 0 && <span className="turn-regions"> · region{turn.regions.length > 1 ? 's' : ''} {turn.regions.join(', ')}</span>}
      </p>
      <p className="answer-text" data-testid="answer-text">
        {turn.text || (streaming ? 'Thinking…' : '')}
        {streaming && <span className="cursor" aria-hidden="true" />}
      </p>
      {turn.status === 'stopped' && <p className="turn-note">Stopped.</p>}
      {turn.status === 'failed' && <p className="turn-note turn-failed">Failed: {turn.error}</p>}
      {turn.answer?.backendFallback && (
        <p className="turn-note" role="status" data-testid="backend-fallback" title={turn.answer.backendFallback}>
          WebGPU was lost; continuing on WASM.
        </p>
      )}
      {turn.answer?.count !== undefined && <p className="turn-note">Count: <strong>{turn.answer.count}</strong></p>}
      {turn.answer && stopNote(turn.answer) && <p className="turn-note" data-testid="stop-note">{stopNote(turn.answer)}</p>}
      {turn.answer && turn.answer.droppedIndices.length > 0 && (
        <p className="turn-note">The answer cited region{turn.answer.droppedIndices.length > 1 ? 's' : ''} {turn.answer.droppedIndices.join(', ')}, which {turn.answer.droppedIndices.length > 1 ? 'do' : 'does'} not exist.</p>
      )}
      <CitedChips turn={turn} />
      {turn.answer && (
        <p className="answer-meta" data-testid="answer-detail">
          Image detail: {turn.answer.detail} · {turn.answer.imageTokens.toLocaleString('en')} image tokens
        </p>
      )}
      {turn.answer && (
        <div className="turn-actions">
          {last && <Timings t={turn.answer.timings} backend={turn.answer.backend} prefixReused={turn.answer.prefixReused} />}
          <button type="button" className="btn btn-small" onClick={() => void copyAnswer(turn)}>Copy answer</button>
        </div>
      )}
    </article>
  );
}

export function AnswerPanel() {
  const turns = useApp(selectTurns);
  const asking = useApp(selectAsking);
  const onlyCited = useApp((s) => s.onlyCited);
  const anyCited = useApp((s) => citationsOf(latestAnswered(s.turns)).size > 0);
  if (turns.length === 0) return null;
  const lastAnswered = latestAnswered(turns);
  return (
    <section className="answer" aria-label="Conversation" aria-live="polite" aria-busy={asking}>
      {turns.map((t) => <TurnView key={t.id} turn={t} last={t === lastAnswered} />)}
      <div className="results-actions">
        <label className="toggle">
          <input type="checkbox" checked={onlyCited} disabled={!anyCited} onChange={(e) => appStore.getState().setOnlyCited(e.currentTarget.checked)} />
          Show only cited boxes
        </label>
        <button type="button" className="btn btn-small" onClick={exportJson}>Export JSON</button>
        <button type="button" className="btn btn-small" onClick={() => void exportPng()}>Export PNG</button>
      </div>
    </section>
  );
}
