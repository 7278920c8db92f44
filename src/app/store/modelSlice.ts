// Which model the app runs and how far loading it has come: the model screen's state. One `phase` at a
// time, so the screen can never show a progress bar and a "ready" badge together.

import type { StateCreator } from 'zustand';
import type { Backend, BackendChange, CachedModel, LoadProgress, ModelInfo, ModelSource, Ready } from '../../protocol/messages.ts';
import { applyProgress, startDownload, type DownloadState } from '../model/download-progress.ts';
import type { AppState } from './store.ts';

/** A source the user picked, with how the screen names it. */
export interface SourceChoice {
  source: ModelSource;
  label: string;
  /** The bundled random-weight model: always labelled as such. */
  demo: boolean;
}

/** Free space for the download, from navigator.storage.estimate(); null where the browser does not say. */
export interface StorageRoom {
  availableBytes: number;
  persisted: boolean;
}

export type ModelPhase =
  | { kind: 'choosing' }
  | { kind: 'inspecting'; choice: SourceChoice }
  | { kind: 'confirm'; choice: SourceChoice; info: ModelInfo; room: StorageRoom | null }
  /** `stageSince`: when `stage` began (performance.now()); `warmupBackend`: where the warm-up runs, once it has begun. */
  | { kind: 'loading'; choice: SourceChoice; info: ModelInfo | null; download: DownloadState; stage: LoadProgress['stage']; stageSince: number; detail: string; warmupBackend?: Backend }
  /** `fallback`: why the model left WebGPU mid-session ("WebGPU device lost (…)"); `ready.sessions` then say where it runs now. */
  | { kind: 'ready'; choice: SourceChoice; ready: Ready; fallback?: string };

export type BackendPreference = 'auto' | Backend;

export interface ModelSlice {
  model: ModelPhase;
  /** The model screen is shown (first run, or reopened to switch models). */
  modelScreenOpen: boolean;
  cached: CachedModel[] | null;
  /** The demo folder's inspection, for its size on the model screen; null until read (or when it is missing). */
  demoInfo: ModelInfo | null;
  backendPreference: BackendPreference;
  setModelPhase(model: ModelPhase): void;
  startLoading(choice: SourceChoice, info: ModelInfo | null, now: number): void;
  applyLoadProgress(p: LoadProgress, now: number): void;
  /** The loaded model moved backend while answering: its sessions now, and why. */
  applyBackendChange(change: BackendChange): void;
  setModelScreenOpen(open: boolean): void;
  setCached(cached: CachedModel[]): void;
  setDemoInfo(info: ModelInfo | null): void;
  setBackendPreference(p: BackendPreference): void;
}

export const createModelSlice: StateCreator<AppState, [], [], ModelSlice> = (set, get) => ({
  model: { kind: 'choosing' },
  modelScreenOpen: true,
  cached: null,
  demoInfo: null,
  backendPreference: 'auto',
  setModelPhase: (model) => set({ model }),
  startLoading: (choice, info, now) => set({ model: { kind: 'loading', choice, info, download: startDownload(info, now), stage: 'download', stageSince: now, detail: 'model.json' } }),
  applyLoadProgress: (p, now) => {
    const m = get().model;
    if (m.kind !== 'loading') return;
    const stageSince = p.stage === m.stage ? m.stageSince : now;
    switch (p.stage) {
      case 'download': set({ model: { ...m, stage: 'download', stageSince, detail: p.file, download: applyProgress(m.download, p, now) } }); return;
      case 'compile': set({ model: { ...m, stage: 'compile', stageSince, detail: p.session } }); return;
      case 'warmup': set({ model: { ...m, stage: 'warmup', stageSince, detail: '', warmupBackend: p.backend } }); return;
    }
  },
  applyBackendChange: (change) => {
    const m = get().model;
    if (m.kind !== 'ready') return; // a change for a model already replaced
    set({ model: { ...m, ready: { ...m.ready, sessions: change.sessions }, fallback: change.cause } });
  },
  setModelScreenOpen: (modelScreenOpen) => set({ modelScreenOpen }),
  setCached: (cached) => set({ cached }),
  setDemoInfo: (demoInfo) => set({ demoInfo }),
  setBackendPreference: (backendPreference) => set({ backendPreference }),
});
