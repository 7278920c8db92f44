import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../protocol/messages.ts';
import { applyProgress, formatBytes, formatDuration, SPEED_WINDOW_MS, startDownload, summarize } from './download-progress.ts';

const info: ModelInfo = {
  modelId: 'https://h/m/', name: 'm', where: 'https://h/m/', dtype: 'q4', totalBytes: 3000, storedBytes: 0,
  files: [{ path: 'a.onnx', bytes: 1000, stored: false }, { path: 'b.onnx', bytes: 2000, stored: false }],
};

describe('download progress', () => {
  it('totals per-file bytes in manifest order, and measures speed and time left over the window', () => {
    let s = startDownload(info, 0);
    s = applyProgress(s, { file: 'a.onnx', bytesDone: 500, bytesTotal: 1000 }, 1000);
    s = applyProgress(s, { file: 'a.onnx', bytesDone: 1000, bytesTotal: 1000 }, 2000);
    const sum = summarize(s, 2000);
    expect(sum.files.map((f) => [f.path, f.done, f.total])).toEqual([['a.onnx', 1000, 1000], ['b.onnx', 0, 2000]]);
    expect(sum.done).toBe(1000);
    expect(sum.total).toBe(3000);
    expect(sum.bytesPerSec).toBe(500); // 1000 bytes in 2 s
    expect(sum.etaSec).toBe(4); // 2000 left at 500 B/s
  });

  it('forgets samples older than the window, so a stall shows as unknown speed, not an old average', () => {
    let s = startDownload(info, 0);
    s = applyProgress(s, { file: 'b.onnx', bytesDone: 2000, bytesTotal: 2000 }, 100);
    expect(summarize(s, 100).bytesPerSec).toBe(20_000);
    const later = summarize(s, 100 + SPEED_WINDOW_MS + 1);
    expect(later.bytesPerSec).toBeNull();
    expect(later.etaSec).toBeNull();
  });

  it('adds files the inspection did not list (no inspection for picked folders)', () => {
    let s = startDownload(null, 0);
    s = applyProgress(s, { file: 'model.json', bytesDone: 10, bytesTotal: 10 }, 5);
    expect(summarize(s, 5)).toMatchObject({ done: 10, total: 10, files: [{ path: 'model.json', done: 10, total: 10 }] });
  });

  it('formats sizes and durations', () => {
    expect([formatBytes(12), formatBytes(830_000), formatBytes(1_500_000), formatBytes(2_340_000_000)]).toEqual(['12 B', '830 kB', '1.5 MB', '2.3 GB']);
    expect([formatDuration(45), formatDuration(200), formatDuration(3900)]).toEqual(['45 s', '3 min 20 s', '1 h 05 min']);
  });
});
