// The question being composed and the answer streaming back.

import type { StateCreator } from 'zustand';
import type { Answer, TaskPreset } from '../../protocol/messages.ts';
import type { AppState } from './store.ts';

export interface AskSlice {
  presetId: TaskPreset;
  text: string;
  /** Set while a question runs; aborting it cancels the request in the worker. */
  asking: AbortController | null;
  answerText: string;
  answer: Answer | null;
  setPreset(id: TaskPreset): void;
  setText(text: string): void;
  startAnswer(controller: AbortController): void;
  appendToken(text: string): void;
  finishAnswer(answer: Answer | null): void;
}

export const createAskSlice: StateCreator<AppState, [], [], AskSlice> = (set) => ({
  presetId: 'caption-brief',
  text: '',
  asking: null,
  answerText: '',
  answer: null,
  setPreset: (presetId) => set({ presetId }),
  setText: (text) => set({ text }),
  startAnswer: (asking) => set({ asking, answerText: '', answer: null, error: null }),
  appendToken: (text) => set((s) => ({ answerText: s.answerText + text })),
  finishAnswer: (answer) => set({ asking: null, answer }),
});
