// The model screen's actions for "VLM-FO1-3B from Hugging Face" and "Convert a checkpoint on this computer":
// inspect a repository (its commit, sizes, whether this device can run it) or a picked folder before any weight
// moves, convert it in the converter worker (workers/convert-worker.ts, messages in src/protocol/convert.ts)
// into OPFS, cancel, resume. One flow for both sources. Plain functions
// over the store's `convert` phase (store/convertSlice.ts), like model/actions.ts; the converted model is then
// one of the stored models, loaded like any other.

import {
  convertedFolder,
  isPicked,
  opfsModelId,
  pickedFolder,
  type ConvertDtype,
  type ConvertedFrom,
  type ConvertEvent,
  type ConvertRequest,
  type ConvertSource,
  type HubTarget,
  type PickedCheckpoint,
} from '../../protocol/convert.ts';
import type { ConvertJob } from '../store/convertSlice.ts';
import { appStore } from '../store/store.ts';
import { cachedChoice, loadModel, refreshCached, storageRoom } from './actions.ts';
import { convertFailure } from './convert-failure.ts';
import { judgeDevice, readDevice } from './device-fit.ts';

/** "owner/name" or "owner/name@revision", as the Hub spells repository ids (converter/read/hub.ts parseRepo). */
const REPO = /^[\w.-]+\/[\w.-]+(@[^@\s]+)?$/;

let worker: Worker | null = null;

/** A fresh converter worker whose events go to `onEvent` for as long as it is the current one. */
function startWorker(request: ConvertRequest, onEvent: (e: ConvertEvent) => void): void {
  worker?.terminate();
  const w = new Worker(new URL('../../../workers/convert-worker.ts', import.meta.url), { type: 'module', name: 'fo1-convert' });
  w.onmessage = (e: MessageEvent<ConvertEvent>) => {
    if (worker === w) onEvent(e.data);
  };
  w.onerror = (e) => {
    // The worker script itself failed (a load or syntax error): it will never answer.
    if (worker === w) onEvent({ type: 'error', name: 'WorkerError', message: `the converter worker failed: ${e.message || 'could not start'}` });
  };
  worker = w;
  w.postMessage(request);
}

function stopWorker(): void {
  worker?.terminate();
  worker = null;
}

/** A Hub endpoint as typed: an http(s) URL without trailing slashes, else null. */
export function parseHubUrl(raw: string): string | null {
  try {
    const url = new URL(raw.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href.replace(/\/+$/, '') : null;
  } catch {
    return null;
  }
}

/** `?hub=URL` in the page's address: the Hub endpoint, or null when absent or not an http(s) URL. */
export function hubFromAddress(search: string): string | null {
  const raw = new URLSearchParams(search).get('hub');
  return raw ? parseHubUrl(raw) : null;
}

/** Reads `?hub=` once, at startup: later edits of the field are the person's. */
export function applyHubFromAddress(): void {
  const hub = hubFromAddress(location.search);
  if (hub) appStore.getState().setHubUrl(hub);
}

/** The target of the model screen's fields, or a message saying what is wrong with them. */
export function hubTarget(repo: string, hubUrl: string, token: string): HubTarget | string {
  const r = repo.trim();
  if (!REPO.test(r)) return `"${r}" is not a Hugging Face repository: expected owner/name (or owner/name@revision), e.g. omlab/VLM-FO1_Qwen2.5-VL-3B-v01`;
  const hub = parseHubUrl(hubUrl);
  if (!hub) return `"${hubUrl}" is not a Hub address: expected an http(s) URL such as https://huggingface.co`;
  return { repo: r, hubUrl: hub, ...(token.trim() ? { accessToken: token.trim() } : {}) };
}

/**
 * The files of a folder picked with <input webkitdirectory> by name (webkitRelativePath starts with the picked
 * folder's own name), or a message when the browser gave no folder. Only the folder's own files: a checkpoint's
 * are all there (the index names its shards as plain file names: converter/read/checkpoint.ts), and a clone's
 * .git/ would only add thousands of entries.
 */
export function pickedCheckpoint(files: readonly File[]): PickedCheckpoint | string {
  const folderName = files[0]?.webkitRelativePath.split('/')[0];
  if (!folderName) return 'the browser gave no folder: pick the folder that holds config.json and the .safetensors files';
  const own = files.map((file) => ({ path: file.webkitRelativePath.slice(folderName.length + 1), file })).filter((f) => !f.path.includes('/'));
  return { folderName, files: own };
}

/** How messages name a conversion's checkpoint: the repository (without its revision), or the picked folder. */
export function sourceName(source: ConvertSource): string {
  return isPicked(source) ? source.folderName : source.repo.split('@')[0];
}

function inspectRequest(target: ConvertSource): ConvertRequest {
  return isPicked(target) ? { type: 'inspect-picked', ...target } : { type: 'inspect', ...target };
}

function convertRequest(job: ConvertJob): ConvertRequest {
  const into = { dtypes: [job.dtype], folder: job.folder };
  return isPicked(job.target) ? { type: 'convert-picked', ...job.target, ...into } : { type: 'convert', ...job.target, ...into };
}

/**
 * Reads the checkpoint's config.json and headers (for a repository: first its commit and file list; no weights),
 * then shows the summary. `dtype`: the dtype of an unfinished conversion being resumed; otherwise the one this
 * device runs.
 */
export function inspectCheckpoint(target: ConvertSource, dtype?: ConvertDtype): void {
  const s = appStore.getState();
  s.dismissError();
  s.setConvertPhase({ kind: 'inspecting', target });
  startWorker(inspectRequest(target), (e) => {
    if (e.type === 'error') return fail(e, target, null);
    if (e.type !== 'inspected' && e.type !== 'inspected-picked') return;
    stopWorker();
    Promise.all([storageRoom(), readDevice()]).then(
      ([room, facts]) => {
        if (appStore.getState().convert.kind !== 'inspecting') return; // cancelled meanwhile
        const fit = judgeDevice(facts, e);
        const d = dtype ?? fit.dtype;
        // A repository is pinned to the commit the summary shows; a picked folder is read as picked.
        const job: ConvertJob =
          e.type === 'inspected' ? { target: { ...target, repo: `${e.repo}@${e.sha}` }, dtype: d, folder: convertedFolder(e.repo, d) } : { target, dtype: d, folder: pickedFolder(e.folderName, d) };
        const earlier = appStore.getState().cached?.find((m) => m.modelId === opfsModelId(job.folder));
        appStore.getState().setConvertPhase({ kind: 'summary', job, inspection: e, room, fit, storedBytes: earlier && !earlier.complete ? earlier.storedBytes : 0, replaces: earlier?.complete ?? false });
      },
      (err: Error) => fail({ name: err.name, message: `reading this device's storage and GPU failed: ${err.message}` }, target, null),
    );
  });
}

/** Continues an unfinished conversion of a repository that the stored-models list shows, from the Hub (and token) set now. */
export function resumeConversion(resume: Extract<ConvertedFrom, { repo: string }>): void {
  const { hubUrl, hubToken } = appStore.getState();
  const target = hubTarget(resume.repo, hubUrl, hubToken);
  if (typeof target === 'string') appStore.getState().showError({ title: 'Cannot resume the conversion', message: target, retry: null });
  else inspectCheckpoint(target, resume.dtype);
}

/** Inspects a folder of checkpoint files picked on this computer (`dtype`: as for inspectCheckpoint). */
export function inspectPicked(files: readonly File[], dtype?: ConvertDtype): void {
  const picked = pickedCheckpoint(files);
  if (typeof picked === 'string') appStore.getState().showError({ title: 'No checkpoint folder', message: picked, retry: null });
  else inspectCheckpoint(picked, dtype);
}

/** Starts (or continues: converter/resume.ts) the conversion the summary showed. */
export function startConversion(job: ConvertJob): void {
  const s = appStore.getState();
  s.dismissError();
  s.startConverting(job, performance.now());
  // As for a download (model/actions.ts): the browser should not evict gigabytes converted here.
  void navigator.storage?.persist?.().catch(() => false);
  startWorker(convertRequest(job), (e) => {
    const st = appStore.getState();
    switch (e.type) {
      case 'inspected':
      case 'inspected-picked':
        return;
      case 'resolved':
        return st.applyResolved(e);
      case 'progress':
        return st.applyConvertProgress(e.progress, performance.now());
      case 'done': {
        stopWorker();
        const name = `${sourceName(job.target)} (${job.dtype})`;
        st.setConvertPhase({ kind: 'done', job, modelId: opfsModelId(e.folder), name, files: e.files, bytes: e.bytes, resumed: e.resumed, report: e.report });
        void refreshCached();
        return;
      }
      case 'error':
        return fail(e, job.target, job);
    }
  });
}

/** Stops the worker at once; the graphs it finished stay (converter/resume.ts), so Resume continues after them. */
export function cancelConversion(): void {
  const c = appStore.getState().convert;
  stopWorker();
  if (c.kind === 'converting') appStore.getState().setConvertPhase({ kind: 'paused', job: c.job, why: 'Cancelled. What was converted is kept in this browser.' });
  else appStore.getState().setConvertPhase({ kind: 'idle' });
  void refreshCached();
}

export function loadConverted(modelId: string, name: string): void {
  appStore.getState().setConvertPhase({ kind: 'idle' });
  void loadModel(cachedChoice(modelId, name), null);
}

function fail(e: { name: string; message: string }, target: ConvertSource, job: ConvertJob | null): void {
  stopWorker();
  const failure = convertFailure(e, sourceName(target));
  const s = appStore.getState();
  s.setConvertPhase(job && failure.resumable ? { kind: 'paused', job, why: `${failure.title}.` } : { kind: 'idle' });
  // Trying a picked folder again reads the same File objects: what helps is picking the fixed folder anew.
  const again = failure.needsToken || isPicked(target) ? null : () => inspectCheckpoint(target);
  s.showError({ title: failure.title, message: failure.message, retry: job && failure.resumable ? () => startConversion(job) : again });
  if (job) void refreshCached();
}
