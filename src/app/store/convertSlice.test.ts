import { describe, expect, it } from 'vitest';
import { summarize } from '../model/download-progress.ts';
import { DEFAULT_HUB_URL, type ConvertJob } from './convertSlice.ts';
import { createAppStore } from './store.ts';

const job: ConvertJob = { target: { repo: `omlab/VLM-FO1_Qwen2.5-VL-3B-v01@${'a'.repeat(40)}`, hubUrl: DEFAULT_HUB_URL }, dtype: 'q4', folder: 'fo1--omlab--VLM-FO1_Qwen2.5-VL-3B-v01--q4' };
const progress = (bytesDone: number, tensorsDone: number) => ({ stage: 'decoder_model_merged (q4)', tensorsDone, tensorsTotal: 40, bytesDone, bytesTotal: 10_000_000 });

describe('convert slice', () => {
  it('starts idle, on huggingface.co, with no token', () => {
    const s = createAppStore().getState();
    expect(s.convert).toEqual({ kind: 'idle' });
    expect(s.hubUrl).toBe('https://huggingface.co');
    expect(s.hubToken).toBe('');
  });

  it('follows a conversion: the commit, then tensors and bytes, with speed and time left over the recent window', () => {
    const s = createAppStore().getState;
    s().startConverting(job, 1000);
    expect(s().convert).toMatchObject({ kind: 'converting', job, resolved: null, progress: null });
    s().applyResolved({ repo: 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01', revision: 'main', sha: 'a'.repeat(40), downloadBytes: 12_000_000 });
    s().applyConvertProgress(progress(1_000_000, 4), 2000);
    s().applyConvertProgress(progress(3_000_000, 10), 3000);
    const c = s().convert;
    if (c.kind !== 'converting') throw new Error(`expected converting, got ${c.kind}`);
    expect(c.resolved?.sha).toBe('a'.repeat(40));
    expect(c.progress).toEqual(progress(3_000_000, 10));
    // 3 MB over the 2 s since the start (the window holds the start's sample at 0 bytes): 1.5 MB/s, 7 MB left.
    const sum = summarize(c.bytes, 3000);
    expect(sum.bytesPerSec).toBeCloseTo(1_500_000, 0);
    expect(sum.etaSec).toBeCloseTo(7_000_000 / 1_500_000, 5);
  });

  it('ignores the progress and commit of a conversion that is no longer running (a late event after Cancel)', () => {
    const s = createAppStore().getState;
    s().startConverting(job, 0);
    s().setConvertPhase({ kind: 'paused', job, why: 'Cancelled.' });
    s().applyConvertProgress(progress(5, 1), 10);
    s().applyResolved({ repo: 'x/y', revision: 'main', sha: 'b'.repeat(40), downloadBytes: 1 });
    expect(s().convert).toEqual({ kind: 'paused', job, why: 'Cancelled.' });
  });
});
