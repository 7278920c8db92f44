// Which compute backends work here, from the worker's probe; the details name the adapter and show the
// probe's numbers, or say why a backend failed; once a model is loaded, which backend each of its
// sessions got and why. The model badge names the model and its decoder's backend. When the WebGPU
// device is lost mid-session the model moves to WASM: badge, summary and panel follow and say why.

import { unreachable, type BackendProbe } from '../../protocol/messages.ts';
import { BACKEND_NAMES as NAMES } from '../model/backend.ts';
import { selectFallbackNote, selectModel, selectModelBackend, selectProbe } from '../store/selectors.ts';
import { appStore, useApp } from '../store/store.ts';

/** `lost`: the probe found it working, but its device has been lost since. */
function BackendRow({ p, lost }: { p: BackendProbe; lost: boolean }) {
  const ok = p.ok && !lost;
  return (
    <li data-testid={`backend-${p.backend}`} data-ok={ok}>
      <span className={ok ? 'dot dot-ok' : 'dot dot-off'} aria-hidden="true" />
      <strong>{NAMES[p.backend]}</strong> {ok ? 'works' : lost ? 'worked, then its device was lost' : 'unavailable'} — {p.detail}
      {p.output && <code className="probe-output">[{p.output.join(', ')}]</code>}
    </li>
  );
}

/** Which backend each of the model's sessions got and why (e.g. why WebGPU was not used). */
function ModelSessions() {
  const model = useApp(selectModel);
  const fallback = useApp(selectFallbackNote);
  if (model.kind !== 'ready') return <p className="status-model">Model: none loaded yet.</p>;
  return (
    <>
      <p className="status-model">Model: {model.choice.label}{model.choice.demo ? ' (random weights — for trying the interface)' : ''}</p>
      {fallback && <p className="status-fallback" data-testid="status-fallback">{fallback}.</p>}
      <ul className="sessions" data-testid="sessions">
        {model.ready.sessions.map((x) => (
          <li key={x.session} data-backend={x.backend}>
            <strong>{x.session}</strong> on {NAMES[x.backend]} — {x.reason}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The model in use and the backend its decoder runs on; opens the model screen. */
export function ModelBadge() {
  const model = useApp(selectModel);
  const backend = useApp(selectModelBackend);
  const fallback = useApp(selectFallbackNote);
  const open = useApp((s) => s.modelScreenOpen);
  let text: string;
  switch (model.kind) {
    case 'ready': text = `${model.choice.demo ? 'Demo model' : model.choice.label} · ${backend ? NAMES[backend] : '?'}`; break;
    case 'loading': text = 'Loading model…'; break;
    default: text = 'No model';
  }
  const dot = model.kind === 'ready' ? (fallback ? 'dot-warn' : 'dot-ok') : model.kind === 'loading' ? 'dot-busy' : 'dot-off';
  return (
    <button type="button" className="pill" data-testid="model-badge" aria-pressed={open} onClick={() => appStore.getState().setModelScreenOpen(!open)} aria-label={`Model: ${text}${fallback ? ` — ${fallback}` : ''}`} title={fallback ?? undefined}>
      <span className={`dot ${dot}`} aria-hidden="true" />
      {text}
    </button>
  );
}

export function StatusBadge() {
  const probe = useApp(selectProbe);
  // The probe ran at start-up; a device lost since then means WebGPU no longer works, whatever it found.
  const gpuLost = useApp(selectFallbackNote) !== null;
  let summary: string;
  let tone: 'ok' | 'warn' | 'busy';
  switch (probe.kind) {
    case 'probing': summary = 'Checking backends…'; tone = 'busy'; break;
    case 'failed': summary = 'Backends unknown'; tone = 'warn'; break;
    case 'done': {
      const working = probe.report.backends.filter((b) => b.ok && !(gpuLost && b.backend === 'webgpu')).map((b) => NAMES[b.backend]);
      summary = [working.length ? working.join(' · ') : 'No backend works', ...(gpuLost ? ['WebGPU lost'] : [])].join(' · ');
      tone = working.length && !gpuLost ? 'ok' : 'warn';
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
            <ul>{probe.report.backends.map((p) => <BackendRow key={p.backend} p={p} lost={gpuLost && p.backend === 'webgpu'} />)}</ul>
            <p>{probe.report.crossOriginIsolated ? `Cross-origin isolated: WASM may use ${probe.report.wasmThreads} thread(s).` : 'Not cross-origin isolated: WASM runs single-threaded.'}</p>
          </>
        )}
        {probe.kind === 'failed' && <p>{probe.message}</p>}
        <ModelSessions />
      </div>
    </details>
  );
}
