// Loading progress: the total as a bar with bytes, speed and time left, the file being read, then the
// compile and warm-up stages; the per-file list folds out.

import { useEffect, useState } from 'react';
import { loadOnWasm } from '../model/actions.ts';
import { SLOW_WEBGPU_WARMUP_MS } from '../model/backend.ts';
import { formatBytes, formatDuration, summarize } from '../model/download-progress.ts';
import type { ModelPhase } from '../store/modelSlice.ts';

/** Re-renders every second so speed and time left move even between progress events. */
export function useNow(): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const t = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function ModelProgress({ phase }: { phase: Extract<ModelPhase, { kind: 'loading' }> }) {
  const now = Math.max(useNow(), phase.download.samples.at(-1)?.[0] ?? 0);
  const sum = summarize(phase.download, now);
  const pct = sum.total > 0 ? (100 * sum.done) / sum.total : 0;
  const stage = phase.stage === 'download' ? `Downloading ${phase.detail}` : phase.stage === 'compile' ? `Preparing ${phase.detail} (compiling the graph)` : 'Warming up (first run of every graph)';
  const slowFor = phase.stage === 'warmup' && phase.warmupBackend === 'webgpu' ? now - phase.stageSince : 0;
  return (
    <div className="progress" data-testid="model-progress">
      <p className="progress-stage" role="status">{stage}</p>
      {slowFor > SLOW_WEBGPU_WARMUP_MS && (
        <p className="progress-slow" role="alert" data-testid="slow-warmup">
          WebGPU is slow on this device: warming up for {formatDuration(slowFor / 1000)} so far. WASM may answer sooner.{' '}
          <button type="button" className="btn" onClick={loadOnWasm}>Load on WASM instead</button>
        </p>
      )}
      <div className="bar" role="progressbar" aria-label="Model download" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
        <div className="bar-fill" style={{ width: `${pct}%` }} />
      </div>
      <p className="progress-numbers" data-testid="progress-numbers">
        {formatBytes(sum.done)} of {formatBytes(sum.total)}
        {sum.bytesPerSec !== null && ` · ${formatBytes(sum.bytesPerSec)}/s`}
        {sum.etaSec !== null && sum.done < sum.total && ` · ${formatDuration(sum.etaSec)} left`}
      </p>
      <details className="progress-files">
        <summary>{sum.files.filter((f) => f.done >= f.total && f.total > 0).length} of {sum.files.length} files</summary>
        <ul>
          {sum.files.map((f) => (
            <li key={f.path}>
              <span className="file-path">{f.path}</span> <span className="muted">{formatBytes(f.done)} / {formatBytes(f.total)}</span>
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}
