// The model screen's actions: inspect a source (sizes before downloading), load it with progress, and
// manage stored models. The engine does the work in the worker; this module sequences it and keeps the
// store's `model` phase in step. Persistent storage is requested as a download starts, since that is
// when evicting the cache would cost the user something.

import { EngineError } from '../../protocol/errors.ts';
import type { Backend, ModelInfo } from '../../protocol/messages.ts';
import { engine, messageOf } from '../engine/bridge.ts';
import type { SourceChoice, StorageRoom } from '../store/modelSlice.ts';
import { appStore } from '../store/store.ts';

/** The bundled random-weight model (public/models/demo, made by `npm run demo-model`). */
export function demoUrl(): string {
  return new URL('/models/demo/', location.href).href;
}

export function demoChoice(): SourceChoice {
  return { source: { kind: 'url', url: demoUrl() }, label: 'Demo model', demo: true };
}

export function urlChoice(url: string): SourceChoice {
  const trimmed = url.trim();
  return { source: { kind: 'url', url: new URL(trimmed.endsWith('/') ? trimmed : `${trimmed}/`, location.href).href }, label: trimmed, demo: false };
}

export function filesChoice(files: File[]): SourceChoice {
  const top = files[0]?.webkitRelativePath.split('/')[0] || 'picked folder';
  return { source: { kind: 'files', files }, label: top, demo: false };
}

export function cachedChoice(modelId: string, name: string): SourceChoice {
  return { source: { kind: 'cached', modelId }, label: name, demo: modelId === demoUrl() };
}

let loadController: AbortController | null = null;

/** Reads the source's model.json; URL sources then wait for the user to confirm the download size. */
export async function chooseSource(choice: SourceChoice): Promise<void> {
  const { setModelPhase, showError, dismissError } = appStore.getState();
  dismissError();
  setModelPhase({ kind: 'inspecting', choice });
  let info: ModelInfo;
  try {
    info = await engine().inspect(choice.source);
  } catch (e) {
    setModelPhase({ kind: 'choosing' });
    showError({ title: titleFor(e, choice), message: messageOf(e), retry: () => void chooseSource(choice) });
    return;
  }
  const needsDownload = choice.source.kind === 'url' && !choice.demo && info.storedBytes < info.totalBytes;
  if (needsDownload) setModelPhase({ kind: 'confirm', choice, info, room: await storageRoom() });
  else await loadModel(choice, info);
}

/** Loads `choice` on the backend preference, or on `backend` when given (the slow-warm-up offer, loadOnWasm). */
export async function loadModel(choice: SourceChoice, info: ModelInfo | null, backendOverride?: Backend): Promise<void> {
  const s = appStore.getState();
  s.dismissError();
  loadController?.abort();
  const controller = (loadController = new AbortController());
  s.startLoading(choice, info, performance.now());
  if (choice.source.kind === 'url') void requestPersistence();
  const backend = backendOverride ?? (s.backendPreference === 'auto' ? undefined : s.backendPreference);
  try {
    const ready = await engine().load({ source: choice.source, backend, wasmThreads: threadsParam(), wasmEncoderInt8: encodersParam() }, (p) => appStore.getState().applyLoadProgress(p, performance.now()), controller.signal);
    if (loadController !== controller) return; // replaced by a newer load, which the worker runs next
    appStore.getState().setModelPhase({ kind: 'ready', choice, ready });
    appStore.getState().setModelScreenOpen(false);
    // Not an error for the question at hand, but the person expects a downloaded model to stay.
    if (ready.notStored) appStore.getState().showError({ title: 'Loaded, but not stored for offline use', message: ready.notStored, retry: null });
  } catch (e) {
    if (loadController !== controller) return; // a newer load replaced this one and owns the screen now
    appStore.getState().setModelPhase({ kind: 'choosing' });
    if (e instanceof EngineError && e.code === 'cancelled') return;
    appStore.getState().showError({ title: titleFor(e, choice), message: messageOf(e), retry: () => void loadModel(choice, info) });
  } finally {
    if (loadController === controller) loadController = null;
    void refreshCached();
  }
}

/** `?threads=N` in the page's address: the wasm decoder's thread count (an advanced/testing override; the engine judges N). */
function threadsParam(): number | undefined {
  const raw = new URLSearchParams(location.search).get('threads');
  return raw === null ? undefined : Number(raw);
}

/**
 * `?encoders=int4` in the page's address keeps the vision encoders' int4 MatMulNBits on wasm instead of their
 * int8 rewrite (LoadOptions.wasmEncoderInt8; src/engine/encoders/int8-linears.ts), e.g. for a checkpoint whose
 * answers the int8 activations spoil; `int8` is the default. An advanced knob, like `?threads=N`.
 */
function encodersParam(): boolean | undefined {
  const raw = new URLSearchParams(location.search).get('encoders');
  if (raw === null) return undefined;
  if (raw === 'int8' || raw === 'int4') return raw === 'int8';
  throw new Error(`?encoders= must be int8 or int4 (got ${JSON.stringify(raw)})`);
}

export function cancelLoading(): void {
  loadController?.abort();
}

/** Gives up the load in progress (a WebGPU warm-up that is taking too long) and loads the same model on wasm. */
export function loadOnWasm(): void {
  const m = appStore.getState().model;
  if (m.kind === 'loading') void loadModel(m.choice, m.info, 'wasm');
}

/** Reads the demo folder's size for the model screen; a build without the demo simply shows no size. */
export async function inspectDemo(): Promise<void> {
  try {
    appStore.getState().setDemoInfo(await engine().inspect(demoChoice().source));
  } catch {
    appStore.getState().setDemoInfo(null);
  }
}

export async function refreshCached(): Promise<void> {
  try {
    appStore.getState().setCached(await engine().listCached());
  } catch (e) {
    appStore.getState().showError({ title: 'Could not list the stored models', message: messageOf(e), retry: () => void refreshCached() });
  }
}

export async function deleteCached(modelId: string): Promise<void> {
  try {
    await engine().deleteCached(modelId);
  } catch (e) {
    appStore.getState().showError({ title: 'Could not delete the stored model', message: messageOf(e), retry: () => void deleteCached(modelId) });
  }
  await refreshCached();
}

/** Free storage and whether it is persistent, so the screen can warn before a download that will not fit. */
export async function storageRoom(): Promise<StorageRoom | null> {
  if (!navigator.storage?.estimate) return null;
  const { quota, usage } = await navigator.storage.estimate();
  if (quota === undefined) return null;
  return { availableBytes: Math.max(0, quota - (usage ?? 0)), persisted: (await navigator.storage.persisted?.()) ?? false };
}

async function requestPersistence(): Promise<void> {
  // Refusal is fine: the model then lives in best-effort storage the browser may clear under pressure.
  await navigator.storage?.persist?.().catch(() => false);
}

function titleFor(e: unknown, choice: SourceChoice): string {
  const where = choice.demo ? 'the demo model' : choice.label;
  if (e instanceof EngineError && e.code === 'backend-failed') return `The model could not start on this backend`;
  return `Could not load ${where}`;
}
