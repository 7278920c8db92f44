// Converting VLM-FO1 inside the page, from a Hugging Face repository or a folder picked on this computer: the
// Hub endpoint setting and where the one conversion stands. One `phase` at a time — the summary before anything downloads, the progress while
// the worker converts, a pause that Resume continues, done — so the screen never shows two. The actions that
// move it are in model/hub-convert.ts.

import type { StateCreator } from 'zustand';
import type { ConvertProgress } from '../../model-folder/convert-progress.ts';
import type { ConversionReport, ConvertDtype, ConvertSource, HubInspection, HubSummary, PickedInspection } from '../../protocol/convert.ts';
import type { DeviceFit } from '../model/device-fit.ts';
import { applyProgress, startDownload, type DownloadState } from '../model/download-progress.ts';
import type { StorageRoom } from './modelSlice.ts';
import type { AppState } from './store.ts';

/** The Hub the page reads from unless `?hub=URL` or the model screen's field says otherwise (as HF_ENDPOINT does). */
export const DEFAULT_HUB_URL = 'https://huggingface.co';
export const DEFAULT_HUB_REPO = 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01';

/** One conversion: the repository pinned to the commit the summary showed (or the picked folder), its dtype, and its OPFS folder. */
export interface ConvertJob {
  target: ConvertSource;
  dtype: ConvertDtype;
  folder: string;
}

export type ConvertPhase =
  | { kind: 'idle' }
  | { kind: 'inspecting'; target: ConvertSource }
  /** `storedBytes`: what an earlier, unfinished conversion into the folder left (it resumes); `replaces`: a finished one is there. */
  | { kind: 'summary'; job: ConvertJob; inspection: HubInspection | PickedInspection; room: StorageRoom | null; fit: DeviceFit; storedBytes: number; replaces: boolean }
  /** `resolved`: the commit a Hub conversion reads (null before it is known, and for a picked folder). `bytes`: the checkpoint's bytes read, as one "file" for download-progress.ts's speed and time left. */
  | { kind: 'converting'; job: ConvertJob; resolved: HubSummary | null; progress: ConvertProgress | null; bytes: DownloadState }
  /** Cancelled, or the connection was lost: what was converted is kept and Resume continues. */
  | { kind: 'paused'; job: ConvertJob; why: string }
  /** `resumed`: graphs an earlier, interrupted run had finished, which this one kept. */
  | { kind: 'done'; job: ConvertJob; modelId: string; name: string; files: number; bytes: number; resumed: string[]; report: ConversionReport };

export interface ConvertSlice {
  hubUrl: string;
  /** The access token field, for gated repositories: held in this page's memory only, never written to storage. */
  hubToken: string;
  convert: ConvertPhase;
  setHubUrl(hubUrl: string): void;
  setHubToken(hubToken: string): void;
  setConvertPhase(convert: ConvertPhase): void;
  startConverting(job: ConvertJob, now: number): void;
  /** A conversion's `resolved` event: the commit it reads. */
  applyResolved(resolved: HubSummary): void;
  applyConvertProgress(progress: ConvertProgress, now: number): void;
}

/** The one entry of `bytes`: the checkpoint as the converter reads it. */
export const CHECKPOINT_BYTES = 'checkpoint';

export const createConvertSlice: StateCreator<AppState, [], [], ConvertSlice> = (set, get) => ({
  hubUrl: DEFAULT_HUB_URL,
  hubToken: '',
  convert: { kind: 'idle' },
  setHubUrl: (hubUrl) => set({ hubUrl }),
  setHubToken: (hubToken) => set({ hubToken }),
  setConvertPhase: (convert) => set({ convert }),
  startConverting: (job, now) => set({ convert: { kind: 'converting', job, resolved: null, progress: null, bytes: startDownload(null, now) } }),
  applyResolved: (resolved) => {
    const c = get().convert;
    if (c.kind === 'converting') set({ convert: { ...c, resolved } });
  },
  applyConvertProgress: (progress, now) => {
    const c = get().convert;
    if (c.kind !== 'converting') return; // a late event of a cancelled run
    set({ convert: { ...c, progress, bytes: applyProgress(c.bytes, { file: CHECKPOINT_BYTES, bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal }, now) } });
  },
});
