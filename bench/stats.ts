// Summaries of repeated timings: every figure in results.json is the median of several runs after a warm-up,
// with min and max (issue 5), so one noisy run on a shared machine cannot decide a ratio.

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]), runs: s.length };
}

/** The same summary with every figure mapped (ms → tokens/s flips min and max). */
export function mapSummary(x: Summary, f: (v: number) => number): Summary {
  const a = f(x.min), b = f(x.max);
  return { median: round(f(x.median)), min: round(Math.min(a, b)), max: round(Math.max(a, b)), runs: x.runs };
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times, returning each run's wall milliseconds. */
export async function timeRuns(fn: () => Promise<unknown>, runs: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

export function round(v: number, digits = 3): number {
  const p = 10 ** Math.max(0, digits - Math.floor(Math.log10(Math.abs(v) || 1)) - 1);
  return Math.round(v * p) / p;
}

export function fmt(x: Summary, unit = ''): string {
  return `${x.median}${unit} (${x.min}–${x.max})`;
}
