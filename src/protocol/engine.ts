// The engine's interface, as the worker's dispatcher drives it and as the page's client proxy offers it.
// The real engine (src/engine/) and test doubles implement it; so does `EngineClient` over postMessage,
// which is why the app and the Node CLI can hold "an Engine" without caring where it runs.

import type { Answer, AskOptions, BackendChange, CachedModel, ContextReport, MeasureOptions, LoadOptions, LoadProgress, ModelInfo, ModelSource, ProbeReport, ProposeOptions, Ready, ScoredBox } from './messages.ts';

export interface Engine {
  /** Which backends can create and run an ONNX session here. */
  probe(signal: AbortSignal): Promise<ProbeReport>;
  load(options: LoadOptions, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<Ready>;
  propose(options: ProposeOptions, signal: AbortSignal): Promise<ScoredBox[]>;
  /**
   * Streams text pieces through `onToken` as they are decoded, then resolves with the parsed answer.
   * `onBackendChange` hears when the model had to move backend mid-answer (the pieces before it are void).
   */
  ask(options: AskOptions, onToken: (text: string) => void, signal: AbortSignal, onBackendChange?: (change: BackendChange) => void): Promise<Answer>;
  /** Counts the question's prompt against the context (the question box's budget); runs no graph. */
  measure(options: MeasureOptions, signal: AbortSignal): Promise<ContextReport>;
  /** Releases every session; a later `load` starts afresh. */
  dispose(): Promise<void>;
}

/**
 * The models this browser can load and has stored: the model screen's view of model folders. Separate from
 * `Engine` because it needs no loaded model and touches only storage and model.json (workers/model-library.ts).
 */
export interface ModelLibrary {
  inspect(source: ModelSource, signal: AbortSignal): Promise<ModelInfo>;
  listCached(signal: AbortSignal): Promise<CachedModel[]>;
  deleteCached(modelId: string, signal: AbortSignal): Promise<void>;
}
