import { describe, expect, it } from 'vitest';
import { mapSummary, round, summarize } from './stats.ts';

describe('summarize', () => {
  it('gives the median (mean of the middle two for an even count), min, max and the run count', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, runs: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, runs: 4 });
  });

  it('refuses an empty list', () => {
    expect(() => summarize([])).toThrow(/no samples/);
  });
});

describe('mapSummary', () => {
  it('swaps min and max under a decreasing map (ms per token → tokens/s)', () => {
    expect(mapSummary({ median: 200, min: 100, max: 400, runs: 3 }, (ms) => 1000 / ms)).toEqual({ median: 5, min: 2.5, max: 10, runs: 3 });
  });
});

describe('round', () => {
  it('keeps three significant digits, but never rounds away integer digits', () => {
    expect(round(1234.5)).toBe(1235);
    expect(round(12.345)).toBe(12.3);
    expect(round(0.012345)).toBe(0.0123);
    expect(round(0)).toBe(0);
  });
});
