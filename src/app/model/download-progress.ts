// Download progress of a model load, from the engine's per-file `download` events: bytes per file and in
// total, speed over a sliding window, and the time left at that speed. Pure (time is passed in), so the
// store keeps a `DownloadState` and components render `summarize(state, now)`.

import type { ModelInfo } from '../../protocol/messages.ts';

/** Speed is measured over this much recent time: long enough to smooth bursts, short enough to follow changes. */
export const SPEED_WINDOW_MS = 3000;

export interface FileProgress {
  path: string;
  done: number;
  total: number;
}

export interface DownloadState {
  /** In the order model.json lists them (from the inspection), then any the engine reads that were not listed. */
  files: FileProgress[];
  /** (time ms, total bytes done) samples within the speed window, oldest first. */
  samples: [number, number][];
}

export interface DownloadSummary {
  done: number;
  total: number;
  /** Bytes per second over the window; null until two samples span some time. */
  bytesPerSec: number | null;
  /** Seconds left at the current speed; null when the speed is unknown or zero. */
  etaSec: number | null;
  files: FileProgress[];
}

export function startDownload(info: ModelInfo | null, now: number): DownloadState {
  const files = (info?.files ?? []).map((f) => ({ path: f.path, done: 0, total: f.bytes }));
  return { files, samples: [[now, 0]] };
}

export function applyProgress(s: DownloadState, p: { file: string; bytesDone: number; bytesTotal: number }, now: number): DownloadState {
  const known = s.files.some((f) => f.path === p.file);
  const files = known
    ? s.files.map((f) => (f.path === p.file ? { ...f, done: p.bytesDone, total: p.bytesTotal || f.total } : f))
    : [...s.files, { path: p.file, done: p.bytesDone, total: p.bytesTotal }];
  const done = totalDone(files);
  const samples = [...s.samples.filter(([t]) => now - t <= SPEED_WINDOW_MS), [now, done] as [number, number]];
  return { files, samples };
}

export function summarize(s: DownloadState, now: number): DownloadSummary {
  const done = totalDone(s.files);
  const total = s.files.reduce((n, f) => n + f.total, 0);
  const recent = s.samples.filter(([t]) => now - t <= SPEED_WINDOW_MS);
  const first = recent[0];
  const last = recent[recent.length - 1];
  const span = first && last ? last[0] - first[0] : 0;
  const bytesPerSec = span > 0 ? ((last[1] - first[1]) * 1000) / span : null;
  const etaSec = bytesPerSec && bytesPerSec > 0 ? Math.max(0, total - done) / bytesPerSec : null;
  return { done, total, bytesPerSec, etaSec, files: s.files };
}

function totalDone(files: readonly FileProgress[]): number {
  return files.reduce((n, f) => n + Math.min(f.done, f.total || f.done), 0);
}

/** "1.5 MB", "830 kB", "12 B" (decimal units, as download sizes are usually shown). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** "45 s", "3 min 20 s", "1 h 05 min". */
export function formatDuration(sec: number): string {
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
