// The question being composed, and the conversation about the current image: one turn per question, its
// answer streaming in, then parsed. A turn remembers the ids and pixel boxes it was asked about, because
// region indices in its answer refer to the boxes as they were then, even after boxes change.

import type { StateCreator } from 'zustand';
import type { Answer, ContextReport, DetailLevel, PixelBox, Task, TaskPreset } from '../../protocol/messages.ts';
import type { AppState } from './store.ts';

export type TurnStatus = 'streaming' | 'done' | 'stopped' | 'failed';

export interface Turn {
  id: string;
  /** The question as the user sees it: the preset's name and its text. */
  question: string;
  task: Task;
  /** Region indices the question referred to. */
  regions: number[];
  /** The box ids and boxes at the time of asking, indexed by region index. */
  boxIds: string[];
  boxes: PixelBox[];
  text: string;
  answer: Answer | null;
  status: TurnStatus;
  error: string | null;
}

export type NewTurn = Pick<Turn, 'question' | 'task' | 'regions' | 'boxIds' | 'boxes'>;

export interface AskSlice {
  presetId: TaskPreset;
  text: string;
  /** Set while a question runs; aborting it cancels the request in the worker. */
  asking: AbortController | null;
  turns: Turn[];
  /** Show only the boxes the latest answer cites. */
  onlyCited: boolean;
  /** The answer length limit, in tokens. */
  maxNewTokens: number;
  /** The image-detail level asked for; null: the backend's default (the engine decides and the answer says). */
  detail: DetailLevel | null;
  /** The question as composed now, counted against the context by the worker (bridge.ts measureAutomatically); null until counted. */
  budget: ContextReport | null;
  setPreset(id: TaskPreset): void;
  setText(text: string): void;
  setOnlyCited(onlyCited: boolean): void;
  setMaxNewTokens(n: number): void;
  setDetail(detail: DetailLevel | null): void;
  setBudget(budget: ContextReport | null): void;
  startTurn(turn: NewTurn, controller: AbortController): string;
  appendToken(turnId: string, text: string): void;
  /** The engine starts the answer over (it moved backend mid-answer): the text streamed so far is void. */
  restartAnswer(turnId: string): void;
  finishTurn(turnId: string, result: { answer: Answer } | { status: 'stopped' } | { status: 'failed'; error: string }): void;
}

let nextTurn = 0;

export const createAskSlice: StateCreator<AppState, [], [], AskSlice> = (set) => {
  const update = (id: string, fn: (t: Turn) => Turn) => set((s) => ({ turns: s.turns.map((t) => (t.id === id ? fn(t) : t)) }));
  return {
    presetId: 'region-caption-brief',
    text: '',
    asking: null,
    turns: [],
    onlyCited: false,
    maxNewTokens: 256,
    detail: null,
    budget: null,
    setPreset: (presetId) => set({ presetId }),
    setText: (text) => set({ text }),
    setOnlyCited: (onlyCited) => set({ onlyCited }),
    setMaxNewTokens: (maxNewTokens) => set({ maxNewTokens }),
    setDetail: (detail) => set({ detail }),
    setBudget: (budget) => set({ budget }),
    startTurn: (turn, asking) => {
      const id = `turn-${++nextTurn}`;
      set((s) => ({ asking, error: null, turns: [...s.turns, { ...turn, id, text: '', answer: null, status: 'streaming', error: null }] }));
      return id;
    },
    appendToken: (id, text) => update(id, (t) => ({ ...t, text: t.text + text })),
    restartAnswer: (id) => update(id, (t) => ({ ...t, text: '' })),
    finishTurn: (id, result) => {
      set({ asking: null });
      if ('answer' in result) update(id, (t) => ({ ...t, status: 'done', answer: result.answer, text: result.answer.text }));
      else update(id, (t) => ({ ...t, status: result.status, error: result.status === 'failed' ? result.error : null }));
    },
  };
};
