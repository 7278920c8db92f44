import { describe, expect, it } from 'vitest';
import { estimateConvertTime, MEASURED_CONVERT_MBPS } from './convert-time.ts';

describe('estimateConvertTime', () => {
  it('is the slower of converting (at the measured rate) and downloading, at each typical speed', () => {
    const bytes = 8.9e9; // the official checkpoint
    const e = estimateConvertTime(bytes, true);
    expect(e.convertSeconds).toBeCloseTo(bytes / (MEASURED_CONVERT_MBPS * 1e6), 6); // ≈ 181 s
    // 100 Mbit/s: the download (712 s) is the limit; 1 Gbit/s: the download (71 s) hides under converting.
    expect(e.atSpeeds).toEqual([{ mbits: 100, seconds: 712 }, { mbits: 1000, seconds: e.convertSeconds }]);
  });

  it('has no download for a folder read from this computer', () => {
    expect(estimateConvertTime(1e9, false).atSpeeds).toEqual([]);
  });
});
