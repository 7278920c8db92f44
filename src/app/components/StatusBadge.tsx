// Which compute backends work here, from the worker's probe; the details name the adapter and show the
// probe's numbers, or say why a backend failed. Also states plainly that no model is loaded yet.

import { unreachable, type BackendProbe } from '../../protocol/messages.ts';
import { selectProbe } from '../store/selectors.ts';
import { useApp } from '../store/store.ts';

const NAMES = { webgpu: 'WebGPU', wasm: 'WASM' } as const;

function BackendRow({ p }: { p: BackendProbe }) {
  return (
    <li data-testid={`backend-${p.backend}`} data-ok={p.ok}>
      <span className={p.ok ? 'dot dot-ok' : 'dot dot-off'} aria-hidden="true" />
      <strong>{NAMES[p.backend]}</strong> {p.ok ? 'works' : 'unavailable'} — {p.detail}
      {p.output && <code className="probe-output">[{p.output.join(', ')}]</code>}
    </li>
  );
}

export function StatusBadge() {
  const probe = useApp(selectProbe);
  let summary: string;
  let tone: 'ok' | 'warn' | 'busy';
  switch (probe.kind) {
    case 'probing': summary = 'Checking backends…'; tone = 'busy'; break;
    case 'failed': summary = 'Backends unknown'; tone = 'warn'; break;
    case 'done': {
      const working = probe.report.backends.filter((b) => b.ok).map((b) => NAMES[b.backend]);
      summary = working.length ? working.join(' · ') : 'No backend works';
      tone = working.length ? 'ok' : 'warn';
      break;
    }
    default: unreachable(probe);
  }
  return (
    <details className="status" data-testid="status">
      <summary className={`pill pill-${tone}`} aria-label={`Compute backends: ${summary}`}>
        <span className={`dot dot-${tone}`} aria-hidden="true" />
        {summary}
      </summary>
      <div className="status-panel">
        {probe.kind === 'done' && (
          <>
            <ul>{probe.report.backends.map((p) => <BackendRow key={p.backend} p={p} />)}</ul>
            <p>{probe.report.crossOriginIsolated ? `Cross-origin isolated: WASM may use ${probe.report.wasmThreads} thread(s).` : 'Not cross-origin isolated: WASM runs single-threaded.'}</p>
          </>
        )}
        {probe.kind === 'failed' && <p>{probe.message}</p>}
        <p className="status-model">Model: none loaded. The model engine is not part of this build yet.</p>
      </div>
    </details>
  );
}
