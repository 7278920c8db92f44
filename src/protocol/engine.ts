// The interfaces the worker's dispatcher drives and the page's client proxy offers: the engine's own
// (src/engine/api.ts; the real engine, test doubles and `EngineClient` over postMessage implement it, which is
// why the app and the Node CLI can hold "an Engine" without caring where it runs), and the model library's.

import type { CachedModel, ModelInfo, ModelSource } from './messages.ts';

export type { Engine } from '../engine/api.ts';

/**
 * The models this browser can load and has stored: the model screen's view of model folders. Separate from
 * `Engine` because it needs no loaded model and touches only storage and model.json (workers/model-library.ts).
 */
export interface ModelLibrary {
  inspect(source: ModelSource, signal: AbortSignal): Promise<ModelInfo>;
  listCached(signal: AbortSignal): Promise<CachedModel[]>;
  deleteCached(modelId: string, signal: AbortSignal): Promise<void>;
}
