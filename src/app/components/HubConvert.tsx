// "VLM-FO1-3B from Hugging Face": the model screen's first card (a repository, an optional token, the Hub
// address, or a checkpoint folder on this computer) and the conversion it starts — the summary before any
// weight moves, one progress view with Cancel, a resumable pause, done. Thin: the state is store/convertSlice.ts, the actions model/hub-convert.ts.

import { type FormEvent, useState } from 'react';
import { unreachable } from '../../protocol/messages.ts';
import { estimateConvertTime, MEASURED_CONVERT_MBPS } from '../model/convert-time.ts';
import { formatBytes, formatDuration, summarize } from '../model/download-progress.ts';
import { cancelConversion, hubTarget, inspectCheckpoint, inspectPicked, loadConverted, sourceName, startConversion } from '../model/hub-convert.ts';
import { isPicked, type ConversionReport } from '../../protocol/convert.ts';
import { DEFAULT_HUB_REPO, type ConvertPhase } from '../store/convertSlice.ts';
import { appStore, useApp } from '../store/store.ts';
import { FolderPicker } from './FolderPicker.tsx';
import { useNow } from './ModelProgress.tsx';

export function HubCard({ busy }: { busy: boolean }) {
  const hubUrl = useApp((s) => s.hubUrl);
  const token = useApp((s) => s.hubToken);
  const running = useApp((s) => s.convert.kind === 'inspecting' || s.convert.kind === 'converting');
  const [repo, setRepo] = useState(DEFAULT_HUB_REPO);
  const { setHubUrl, setHubToken, showError } = appStore.getState();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const target = hubTarget(repo, hubUrl, token);
    if (typeof target === 'string') showError({ title: 'Check the repository', message: target, retry: null });
    else inspectCheckpoint(target);
  };
  return (
    <section className="source-card source-wide" aria-label="From Hugging Face">
      <h3>VLM-FO1-3B from Hugging Face</h3>
      <p className="muted">The official checkpoint (or a fine-tuned FO1 in another repository), converted in this browser to the format this app runs. Nothing is uploaded; the weights stream from the Hub and only the converted model is kept.</p>
      <form className="hub-form" onSubmit={onSubmit}>
        <label>
          Hugging Face repository
          <input value={repo} onChange={(e) => setRepo(e.currentTarget.value)} spellCheck={false} autoComplete="off" />
        </label>
        <label>
          Access token (optional)
          <input type="password" value={token} onChange={(e) => setHubToken(e.currentTarget.value)} autoComplete="off" placeholder="hf_… for gated or private repositories" />
        </label>
        <label>
          Hub address
          <input type="url" value={hubUrl} onChange={(e) => setHubUrl(e.currentTarget.value)} spellCheck={false} />
        </label>
        <p className="muted">The token stays in this page's memory and is sent only to the Hub; it is never stored.</p>
        <button type="submit" className="btn btn-primary" disabled={busy || running || !repo.trim()}>Convert in this browser</button>
      </form>
      <p className="muted">Downloaded the checkpoint some other way? Pick its folder (config.json and the .safetensors files): it is read in place and converted the same way.</p>
      <FolderPicker label="Convert a checkpoint on this computer…" inputLabel="Pick a checkpoint folder" testId="checkpoint-folder-input" className="btn" disabled={busy || running} onFiles={(files) => inspectPicked(files)} />
    </section>
  );
}

function paramCount(params: number): string {
  return `${params >= 1e9 ? `${(params / 1e9).toFixed(2)} billion` : `${(params / 1e6).toFixed(1)} million`} parameters`;
}

/** The estimate of convert-time.ts, with its basis. */
function TimeEstimate({ readBytes, download }: { readBytes: number; download: boolean }) {
  const e = estimateConvertTime(readBytes, download);
  const speeds = e.atSpeeds.map((a) => `${formatDuration(a.seconds)} at ${a.mbits >= 1000 ? `${a.mbits / 1000} Gbit/s` : `${a.mbits} Mbit/s`}`);
  return (
    <p data-testid="convert-time">
      Time: about {download ? `${speeds.join(', or ')} (the download and the conversion run together)` : formatDuration(e.convertSeconds)}; an
      estimate from the in-page rate measured on a 2-core machine ({MEASURED_CONVERT_MBPS} MB/s), so a faster or slower CPU changes it.
    </p>
  );
}

function Summary({ phase }: { phase: Extract<ConvertPhase, { kind: 'summary' }> }) {
  const { job, inspection: i, room, fit, storedBytes, replaces } = phase;
  const tooBig = room !== null && i.keepBytes - storedBytes > room.availableBytes;
  return (
    <section className="model-active" aria-label="Conversion summary" data-testid="convert-summary">
      {'sha' in i ? (
        <>
          <h3>{i.repo}</h3>
          <p>
            Revision <code>{i.revision}</code> is commit <code data-testid="convert-sha">{i.sha}</code>: every file is read at this commit.
          </p>
          <p>
            Downloads <strong data-testid="convert-download">{formatBytes(i.downloadBytes)}</strong> (the repository's files, from the Hub's listing; {paramCount(i.params)}), streamed and never kept whole.
          </p>
        </>
      ) : (
        <>
          <h3>{i.folderName}</h3>
          <p>
            Reads <strong data-testid="convert-read">{formatBytes(i.tensorBytes)}</strong> of weights ({paramCount(i.params)}) from the folder picked on this computer, in place: nothing is copied or uploaded.
          </p>
        </>
      )}
      <p>
        Keeps about <strong data-testid="convert-keep">{formatBytes(i.keepBytes)}</strong> in this browser ({job.dtype}; estimated from the tensors' shapes). Free storage:{' '}
        {room ? formatBytes(room.availableBytes) : 'the browser does not say'}.
      </p>
      <TimeEstimate readBytes={i.tensorBytes} download={'sha' in i} />
      {storedBytes > 0 && <p>An unfinished conversion of it is stored ({formatBytes(storedBytes)}): it continues after its last finished graph.</p>}
      {replaces && <p className="warn-box">It is already converted in this browser ({job.dtype}): converting again replaces that copy.</p>}
      {tooBig && <p className="warn-box" role="alert">Not enough storage: the converted model needs about {formatBytes(i.keepBytes)} but the browser allows about {formatBytes(room.availableBytes)} more. Free space (delete a stored model) first.</p>}
      <p className={fit.verdict === 'yes' ? '' : 'warn-box'} data-testid="convert-device">
        {fit.verdict === 'no' ? 'This device cannot run it: ' : fit.verdict === 'slow' ? 'This device can run it, slowly: ' : 'This device can run it: '}
        {fit.reason}.
      </p>
      <p className="muted">Licence: VLM-FO1 is built on Qwen2.5-VL-3B, whose weights come under the Qwen research licence (non-commercial use); read the licence on the repository's Hub page before using the model.</p>
      <div className="row">
        <button type="button" className="btn btn-primary" onClick={() => startConversion(job)}>
          {storedBytes > 0 ? 'Resume converting' : fit.verdict === 'no' ? 'Convert anyway' : 'Start converting'}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => appStore.getState().setConvertPhase({ kind: 'idle' })}>Cancel</button>
      </div>
    </section>
  );
}

function Progress({ phase }: { phase: Extract<ConvertPhase, { kind: 'converting' }> }) {
  const now = Math.max(useNow(), phase.bytes.samples.at(-1)?.[0] ?? 0);
  const sum = summarize(phase.bytes, now);
  const p = phase.progress;
  const pct = p && p.bytesTotal > 0 ? (100 * p.bytesDone) / p.bytesTotal : 0;
  const picked = isPicked(phase.job.target);
  const stage = !picked && !phase.resolved ? 'Resolving the revision and listing the repository…' : p ? `${picked ? 'Converting' : 'Downloading and converting'} ${p.stage}` : 'Reading the checkpoint headers…';
  return (
    <section className="model-active" aria-label="Converting" data-testid="convert-progress">
      <h3>Converting {sourceName(phase.job.target)} ({phase.job.dtype})</h3>
      <p className="progress-stage" role="status">{stage}</p>
      <div className="bar" role="progressbar" aria-label="Conversion" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
        <div className="bar-fill" style={{ width: `${pct}%` }} />
      </div>
      {p && (
        <p className="progress-numbers" data-testid="convert-numbers">
          {formatBytes(p.bytesDone)} of {formatBytes(p.bytesTotal)} · {p.tensorsDone} of {p.tensorsTotal} tensors
          {sum.bytesPerSec !== null && ` · ${formatBytes(sum.bytesPerSec)}/s`}
          {sum.etaSec !== null && p.bytesDone < p.bytesTotal && ` · ${formatDuration(sum.etaSec)} left`}
        </p>
      )}
      <button type="button" className="btn btn-ghost" onClick={cancelConversion}>Cancel</button>
    </section>
  );
}

/**
 * What the converter found (model.json's `conversion`): where a real checkpoint differs from what the converter
 * expects, it says so here — each default that applied and why, each tensor left unused and why.
 */
function ReportView({ report }: { report: ConversionReport }) {
  const files = Object.entries(report.config);
  const defaults = files.flatMap(([file, r]) => Object.entries(r.defaults ?? {}).map(([key, d]) => ({ file, key, ...d })));
  const read = files.reduce((n, [, r]) => n + Object.keys(r.read).length, 0);
  return (
    <details className="convert-report" data-testid="convert-report">
      <summary>
        Conversion report: {read} config values read, {defaults.length} default{defaults.length === 1 ? '' : 's'} applied,{' '}
        {report.tensors.used} of {report.tensors.total} tensors used
      </summary>
      {defaults.length > 0 && (
        <ul aria-label="Defaults applied">
          {defaults.map((d) => (
            <li key={`${d.file}:${d.key}`}><code>{d.key}</code> = <code>{JSON.stringify(d.value)}</code> ({d.file} lacks it): {d.why}</li>
          ))}
        </ul>
      )}
      {report.tensors.unused.length > 0 && (
        <ul aria-label="Tensors not used">
          {report.tensors.unused.map((t) => <li key={t.name}><code>{t.name}</code>: {t.why}</li>)}
        </ul>
      )}
    </details>
  );
}

/** The conversion in progress or just ended, above the source cards; nothing when idle. */
export function ConvertView() {
  const phase = useApp((s) => s.convert);
  const close = () => appStore.getState().setConvertPhase({ kind: 'idle' });
  switch (phase.kind) {
    case 'idle':
      return null;
    case 'inspecting':
      return (
        <section className="model-active" aria-label="Reading the repository">
          <p role="status">
            {isPicked(phase.target) ? `Reading ${phase.target.folderName}: its config.json and tensor headers (no weights yet)…` : `Reading ${phase.target.repo} on ${phase.target.hubUrl}: its commit, file list and tensor headers (no weights yet)…`}
          </p>
          <button type="button" className="btn btn-ghost" onClick={cancelConversion}>Cancel</button>
        </section>
      );
    case 'summary':
      return <Summary phase={phase} />;
    case 'converting':
      return <Progress phase={phase} />;
    case 'paused':
      return (
        <section className="model-active" aria-label="Conversion paused" data-testid="convert-paused">
          <p role="status">{phase.why} Resume continues after the last finished graph.</p>
          <div className="row">
            <button type="button" className="btn btn-primary" onClick={() => startConversion(phase.job)}>Resume</button>
            <button type="button" className="btn btn-ghost" onClick={close}>Close</button>
          </div>
        </section>
      );
    case 'done':
      return (
        <section className="model-active" aria-label="Conversion done" data-testid="convert-done">
          <p role="status">
            Converted {phase.name}: {phase.files} files, {formatBytes(phase.bytes)}, stored in this browser.
            {phase.resumed.length > 0 && ` Resumed: ${phase.resumed.length} graph${phase.resumed.length === 1 ? '' : 's'} finished by the interrupted run were kept.`}
          </p>
          <ReportView report={phase.report} />
          <div className="row">
            <button type="button" className="btn btn-primary" onClick={() => loadConverted(phase.modelId, phase.name)}>Load it now</button>
            <button type="button" className="btn btn-ghost" onClick={close}>Close</button>
          </div>
        </section>
      );
    default:
      return unreachable(phase);
  }
}
