// The question: a task preset, its text when it takes one, and the selected boxes as region chips
// (region references travel as indices, never as text the user could type).

import type { FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { DETAIL_LEVELS, type DetailLevel } from '../../protocol/messages.ts';
import { DETAIL_TOKEN_CAP } from '../../engine/preprocess/detail.ts';
import { budgetNote, QUESTION_MAX_CHARS } from '../ask/budget.ts';
import { PRESETS } from '../ask/presets.ts';
import { askQuestion, stopAsking } from '../engine/bridge.ts';
import { selectAsking, selectBoxes, selectHovered, selectPreset, selectSelectedIndices, selectWhyNotAskable } from '../store/selectors.ts';
import { appStore, useApp } from '../store/store.ts';
import { regionColor } from '../overlay/items.ts';

const ANSWER_LENGTHS: readonly [number, string][] = [[16, 'A few words'], [64, 'Short'], [256, 'Normal'], [1024, 'Long']];

/** "Reference (authors', ≤ 4,015 tokens)", "Medium (≤ 1,280 tokens)": short, the sidebar is narrow. */
function detailLabel(level: DetailLevel): string {
  const cap = DETAIL_TOKEN_CAP[level];
  const name = level[0].toUpperCase() + level.slice(1);
  return cap === null ? `${name} (authors', ≤ 4,015 tokens)` : `${name} (≤ ${cap.toLocaleString('en')} tokens)`;
}

function onSubmit(e: FormEvent): void {
  e.preventDefault();
  void askQuestion();
}

export function QuestionBox() {
  const preset = useApp(selectPreset);
  const text = useApp((s) => s.text);
  const regions = useApp(useShallow(selectSelectedIndices));
  const why = useApp(selectWhyNotAskable);
  const asking = useApp(selectAsking);
  const boxes = useApp(selectBoxes);
  const hovered = useApp(selectHovered);
  const maxNewTokens = useApp((s) => s.maxNewTokens);
  const detail = useApp((s) => s.detail);
  const note = useApp((s) => budgetNote(s.budget, s.maxNewTokens));
  const { setPreset, setText, selectBox, setHovered, setMaxNewTokens, setDetail } = appStore.getState();

  return (
    <form className="question" onSubmit={onSubmit} aria-label="Ask about the image">
      <fieldset className="presets">
        <legend>Task</legend>
        {PRESETS.map((p) => (
          <label key={p.id} className="preset" data-checked={p.id === preset.id || undefined}>
            <input type="radio" name="preset" value={p.id} checked={p.id === preset.id} onChange={() => setPreset(p.id)} />
            {p.label}
          </label>
        ))}
      </fieldset>

      <div className="chips" aria-label="Regions in the question" role="group">
        {regions.length === 0 ? (
          <span className="chips-empty">{preset.regions === 'required' ? 'No region selected — click a box or draw one.' : 'No regions: the question is about the whole image.'}</span>
        ) : (
          regions.map((i) => (
            <button
              key={boxes[i].id}
              type="button"
              className="chip"
              style={{ borderColor: regionColor(i) }}
              data-hovered={hovered === boxes[i].id || undefined}
              onClick={() => {
                setHovered(null);
                selectBox(i, true);
              }}
              onPointerEnter={() => setHovered(boxes[i].id)}
              onPointerLeave={() => setHovered(null)}
              onFocus={() => setHovered(boxes[i].id)}
              onBlur={() => setHovered(null)}
              aria-label={`Region ${i} (remove from the question)`}
            >
              <span className="chip-dot" style={{ background: regionColor(i) }} />region {i}<span aria-hidden="true"> ×</span>
            </button>
          ))
        )}
      </div>

      {preset.input && (
        <label className="field">
          <span>{preset.input.label}</span>
          <input type="text" value={text} maxLength={QUESTION_MAX_CHARS} placeholder={preset.input.placeholder} onChange={(e) => setText(e.currentTarget.value)} />
        </label>
      )}
      {note && <p className="hint budget" role="status" aria-label="Question budget">{note}</p>}

      <label className="length">
        Answer length
        <select value={maxNewTokens} onChange={(e) => setMaxNewTokens(Number(e.currentTarget.value))} aria-label="Answer length">
          {ANSWER_LENGTHS.map(([n, name]) => <option key={n} value={n}>{name} (up to {n} tokens)</option>)}
        </select>
      </label>

      <label className="length">
        Image detail
        <select value={detail ?? ''} onChange={(e) => setDetail((e.currentTarget.value || null) as DetailLevel | null)} aria-label="Image detail">
          <option value="">Backend default</option>
          {DETAIL_LEVELS.map((l) => <option key={l} value={l}>{detailLabel(l)}</option>)}
        </select>
      </label>

      <div className="ask-row">
        {/* Two elements, not one patched: Stop ends the turn during its own click (src/protocol/client.ts), and a
            button whose type turned to submit before the click's default action would ask the question again. */}
        {asking ? (
          <button key="stop" type="button" className="btn btn-danger" onClick={stopAsking}>Stop</button>
        ) : (
          <button key="ask" type="submit" className="btn btn-primary" disabled={why !== null}>Ask</button>
        )}
        {why && !asking && <span className="hint">{why}</span>}
      </div>
    </form>
  );
}
