// What the page knows about the engine worker: the backend probe's result and the model state.

import type { StateCreator } from 'zustand';
import type { ProbeReport } from '../../protocol/messages.ts';
import type { AppState } from './store.ts';

export type ProbeState = { kind: 'probing' } | { kind: 'done'; report: ProbeReport } | { kind: 'failed'; message: string };

export interface EngineSlice {
  probe: ProbeState;
  setProbe(probe: ProbeState): void;
}

export const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = (set) => ({
  probe: { kind: 'probing' },
  setProbe: (probe) => set({ probe }),
});
