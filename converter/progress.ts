// Terminal progress for the converter and benchmarks: a bar with tensors, bytes and ETA, redrawn a few
// times a second at most.

import type { ConvertProgress } from '../src/model-folder/convert-progress.ts';

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** A one-line bar redrawn at most a few times a second. */
export function progressLine(p: ConvertProgress, elapsedS: number): string {
  const frac = p.bytesTotal ? p.bytesDone / p.bytesTotal : 0;
  const width = 24;
  const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
  const eta = frac > 0 ? (elapsedS * (1 - frac)) / frac : Infinity;
  return `${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${p.tensorsDone}/${p.tensorsTotal} tensors  ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}  ETA ${formatSeconds(eta)}  ${p.stage}`;
}

export function throttled<T>(draw: (v: T) => void, ms = 150): (v: T) => void {
  let last = 0;
  return (v) => {
    const now = performance.now();
    if (now - last < ms) return;
    last = now;
    draw(v);
  };
}
