// The model screen (the side panel on first run, or the model badge in the top bar): pick where the model comes from — VLM-FO1
// from Hugging Face converted in this browser (HubConvert.tsx), the bundled demo, a URL of a converted model folder, a folder
// on this computer, or a model stored in this browser — see its size before anything downloads, then follow the download.
// All actions are in model/actions.ts and model/hub-convert.ts.

import { useEffect, useState, type FormEvent } from 'react';
import { unreachable } from '../../protocol/messages.ts';
import { cachedChoice, cancelLoading, chooseSource, deleteCached, demoChoice, filesChoice, inspectDemo, loadModel, refreshCached, urlChoice } from '../model/actions.ts';
import { formatBytes } from '../model/download-progress.ts';
import type { BackendPreference, ModelPhase } from '../store/modelSlice.ts';
import { selectModel } from '../store/selectors.ts';
import { appStore, useApp } from '../store/store.ts';
import { inspectPicked, resumeConversion } from '../model/hub-convert.ts';
import { FolderPicker } from './FolderPicker.tsx';
import { ConvertView, HubCard } from './HubConvert.tsx';
import { ModelProgress } from './ModelProgress.tsx';

function DemoCard({ busy }: { busy: boolean }) {
  const info = useApp((s) => s.demoInfo);
  return (
    <section className="source-card" aria-labelledby="demo-title">
      <h3 id="demo-title">Demo model</h3>
      <p className="warn-tag" data-testid="demo-label">random weights — for trying the interface</p>
      <p className="muted">A tiny model with the real architecture and random weights, served with this app. Its answers are gibberish, but every part of the page works.</p>
      <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void chooseSource(demoChoice())}>
        Try the demo model{info ? ` (${formatBytes(info.totalBytes)})` : ''}
      </button>
    </section>
  );
}

function UrlCard({ busy }: { busy: boolean }) {
  const [url, setUrl] = useState('');
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (url.trim()) void chooseSource(urlChoice(url));
  };
  return (
    <section className="source-card" aria-labelledby="url-title">
      <h3 id="url-title">From a URL</h3>
      <p className="muted">The folder holding a converted model's <code>model.json</code>, e.g. a Hugging Face repository's <code>…/resolve/main/</code> address.</p>
      <form className="url-form" onSubmit={onSubmit}>
        <input type="url" inputMode="url" required value={url} onChange={(e) => setUrl(e.currentTarget.value)} placeholder="https://huggingface.co/user/repo/resolve/main/" aria-label="Model folder URL" />
        <button type="submit" className="btn" disabled={busy || !url.trim()}>Check size</button>
      </form>
    </section>
  );
}

function FolderCard({ busy }: { busy: boolean }) {
  return (
    <section className="source-card" aria-labelledby="folder-title">
      <h3 id="folder-title">From this computer</h3>
      <p className="muted">A converted model folder on disk. Nothing is uploaded; the files are read in place.</p>
      <FolderPicker label="Pick a model folder…" inputLabel="Pick a model folder" testId="model-folder-input" className="btn" disabled={busy} onFiles={(files) => void chooseSource(filesChoice(files))} />
    </section>
  );
}

function CachedCard({ busy }: { busy: boolean }) {
  const cached = useApp((s) => s.cached);
  const converting = useApp((s) => s.convert.kind === 'inspecting' || s.convert.kind === 'converting');
  return (
    <section className="source-card source-wide" aria-labelledby="cached-title">
      <h3 id="cached-title">Stored in this browser</h3>
      {cached === null ? (
        <p className="muted">Reading storage…</p>
      ) : cached.length === 0 ? (
        <p className="muted">No models stored yet. A model you convert here or load from a URL is kept here and works offline.</p>
      ) : (
        <ul className="cached-list" data-testid="cached-list">
          {cached.map((m) => (
            <li key={m.modelId} aria-label={`Stored model ${m.name}`}>
              <div className="cached-name">
                <strong>{m.name}</strong>
                <span className="muted cached-id">{m.modelId}</span>
              </div>
              <span className="cached-size">{m.complete ? formatBytes(m.totalBytes) : m.resume ? `${formatBytes(m.storedBytes)} converted so far` : `${formatBytes(m.storedBytes)} of ${formatBytes(m.totalBytes)} (incomplete)`}</span>
              {m.resume && 'picked' in m.resume ? (
                // The files of a picked folder are not kept: resuming needs the folder picked again.
                <FolderPicker label="Resume: pick the folder again…" inputLabel={`Pick ${m.resume.picked} again`} testId="resume-folder-input" className="btn btn-small" disabled={busy || converting} onFiles={(files) => inspectPicked(files, m.resume?.dtype)} />
              ) : (
                <button type="button" className="btn btn-small" disabled={busy || (m.resume !== undefined && converting)} onClick={() => void (m.complete ? loadModel(cachedChoice(m.modelId, m.name), null) : m.resume && 'repo' in m.resume ? resumeConversion(m.resume) : chooseSource(urlChoice(m.modelId)))}>
                  {m.complete ? 'Load' : 'Resume'}
                </button>
              )}
              <button type="button" className="btn btn-small btn-ghost" disabled={busy} onClick={() => void deleteCached(m.modelId)} aria-label={`Delete ${m.name}`}>Delete</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Confirm({ phase }: { phase: Extract<ModelPhase, { kind: 'confirm' }> }) {
  const { info, room, choice } = phase;
  const left = info.totalBytes - info.storedBytes;
  const tooBig = room !== null && left > room.availableBytes;
  return (
    <section className="model-active" aria-label="Model to download" data-testid="model-confirm">
      <h3>{info.name}</h3>
      <p className="muted cached-id">{info.where}</p>
      <p>
        {info.files.length} files, <strong data-testid="model-size">{formatBytes(info.totalBytes)}</strong> ({info.dtype})
        {info.storedBytes > 0 && <> — {formatBytes(info.storedBytes)} already stored, the download resumes</>}
      </p>
      {tooBig && (
        <p className="warn-box" role="alert">
          Not enough storage: this needs {formatBytes(left)} but the browser allows about {formatBytes(room.availableBytes)} more. Free space (e.g. delete a stored model) or it will run now but not be kept for offline use.
        </p>
      )}
      {room && !room.persisted && <p className="muted">The browser will be asked to keep the model in persistent storage, so it is not cleared when space runs low.</p>}
      <div className="row">
        <button type="button" className="btn btn-primary" onClick={() => void loadModel(choice, info)}>Download {formatBytes(left)} and load</button>
        <button type="button" className="btn btn-ghost" onClick={() => appStore.getState().setModelPhase({ kind: 'choosing' })}>Cancel</button>
      </div>
    </section>
  );
}

function ActivePhase({ phase }: { phase: ModelPhase }) {
  switch (phase.kind) {
    case 'choosing':
    case 'ready':
      return null;
    case 'inspecting':
      return <section className="model-active" role="status">Reading {phase.choice.label}'s model.json…</section>;
    case 'confirm':
      return <Confirm phase={phase} />;
    case 'loading':
      return (
        <section className="model-active" aria-label="Loading the model">
          <ModelProgress phase={phase} />
          <button type="button" className="btn btn-ghost" onClick={cancelLoading}>Cancel</button>
        </section>
      );
    default:
      return unreachable(phase);
  }
}

export function ModelScreen() {
  const phase = useApp(selectModel);
  const preference = useApp((s) => s.backendPreference);
  const hasModel = phase.kind === 'ready';
  const busy = phase.kind === 'inspecting' || phase.kind === 'loading';
  useEffect(() => {
    void inspectDemo();
    void refreshCached();
  }, []);
  return (
    <div className="model-screen" role="region" aria-label="Model">
      <div className="model-inner">
        <header className="model-head">
          <div>
            <h2>Choose a model</h2>
            <p className="muted">FO1 runs entirely in this tab: the model is downloaded once, then works offline.</p>
          </div>
          {hasModel && <button type="button" className="btn btn-small" onClick={() => appStore.getState().setModelScreenOpen(false)}>Close</button>}
        </header>
        <ActivePhase phase={phase} />
        <ConvertView />
        <div className="source-grid">
          <HubCard busy={busy} />
          <DemoCard busy={busy} />
          <UrlCard busy={busy} />
          <FolderCard busy={busy} />
          <CachedCard busy={busy} />
        </div>
        <label className="backend-pref">
          Run on
          <select value={preference} disabled={busy} onChange={(e) => appStore.getState().setBackendPreference(e.currentTarget.value as BackendPreference)} aria-label="Backend">
            <option value="auto">the best available backend (WebGPU if it works)</option>
            <option value="webgpu">WebGPU</option>
            <option value="wasm">WASM (CPU)</option>
          </select>
        </label>
      </div>
    </div>
  );
}
