// Whether the engine has read the current photo and its boxes ahead of a question (Engine.prepare, sent by
// bridge.ts prepareAutomatically): the encoders, the region encoder and the prompt's prefix, which is what
// makes the first answer start at once instead of after them.

import type { StateCreator } from 'zustand';
import type { Prepared } from '../../protocol/messages.ts';
import type { AppState } from './store.ts';

export type PrepareStatus =
  | { kind: 'idle' }
  /** `boxes`: how many boxes it reads. */
  | { kind: 'preparing'; boxes: number }
  | { kind: 'ready'; prepared: Prepared; boxes: number }
  /** The question will meet the same problem and report it; this only says so early. */
  | { kind: 'failed'; message: string };

export interface PrepareSlice {
  preparation: PrepareStatus;
  setPreparation(preparation: PrepareStatus): void;
}

export const createPrepareSlice: StateCreator<AppState, [], [], PrepareSlice> = (set) => ({
  preparation: { kind: 'idle' },
  setPreparation: (preparation) => set({ preparation }),
});
