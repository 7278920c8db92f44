// The typed messages between the page and the engine worker. Every request carries a
// uuid `id`; every reply names the request it answers, so the client can keep several in flight while
// the worker runs them one at a time. `kind` fixes the payload type on both sides: a `switch` on it
// narrows without casts and ends in `unreachable()` so that adding a kind breaks every unhandled switch.
// The payloads are the engine's own types (src/engine/api.ts), re-exported here for the page; this file adds
// the model library's (stored models) and the wire envelopes.

import type { ConvertedFrom } from './convert.ts';
import type { EngineErrorData } from './errors.ts';
import type { Backend, ModelSource, ImageInput, Task, TaskPreset, GenerationOptions, BackendProbe, ProbeReport, SessionBackend, BackendChange, ScoredBox, CitedRegion, AnswerTimings, StopReason, Answer, LoadProgress, Ready, LoadOptions, ProposeOptions, DetailLevel, AskOptions, MeasureOptions, ContextReport, PrepareOptions, Prepared } from '../engine/api.ts';

export type { Backend, ModelSource, ImageInput, Task, TaskPreset, GenerationOptions, BackendProbe, ProbeReport, SessionBackend, BackendChange, ScoredBox, CitedRegion, AnswerTimings, StopReason, Answer, LoadProgress, Ready, LoadOptions, ProposeOptions, DetailLevel, AskOptions, MeasureOptions, ContextReport, PrepareOptions, Prepared, PixelBox } from '../engine/api.ts';
export { TASK_PRESETS, TASK_PRESET_NAMES, presetTask, DETAIL_LEVELS } from '../engine/api.ts';

/** One file that loading a model folder reads, and whether a copy of it is stored in this browser. */
export interface ModelFileInfo {
  path: string;
  bytes: number;
  stored: boolean;
}

/** What loading a source would fetch, read from its model.json before any weights move (the model screen). */
export interface ModelInfo {
  /** The id the model is cached under (its folder URL), null for sources that are never cached (picked files). */
  modelId: string | null;
  /** model.json's `source`: where the weights came from (a hub repo, a checkpoint folder, the random fixture). */
  name: string;
  /** Where the files are read from, in words (the folder URL, "12 picked files"). */
  where: string;
  dtype: string;
  files: ModelFileInfo[];
  totalBytes: number;
  storedBytes: number;
}

/**
 * A model folder stored in this browser, complete or partly there: downloaded into Cache Storage (its id is the
 * folder URL), or converted in the page into OPFS (its id is `opfs:<folder>/`, src/protocol/convert.ts).
 */
export interface CachedModel {
  modelId: string;
  name: string;
  /** 0 for a conversion that has not finished: its size is known once model.json is written. */
  totalBytes: number;
  storedBytes: number;
  complete: boolean;
  /** An unfinished conversion: what it converts, so the model screen can resume it (converter/resume.ts). */
  resume?: ConvertedFrom;
}

// ---------------------------------------------------------------------------------------------------
// Requests (page → worker)

export type Request =
  | { kind: 'probe'; id: string }
  | { kind: 'load'; id: string; options: LoadOptions }
  | { kind: 'propose'; id: string; options: ProposeOptions }
  | { kind: 'ask'; id: string; options: AskOptions }
  /** The question-independent work for an image and its boxes, ahead of the first question (Engine.prepare). */
  | { kind: 'prepare'; id: string; options: PrepareOptions }
  /** Counts a question's tokens against the context; runs no graph. */
  | { kind: 'measure'; id: string; options: MeasureOptions }
  /** Stops request `target` (running or queued). It gets no reply of its own: the target ends in a `cancelled` error. */
  | { kind: 'cancel'; id: string; target: string }
  | { kind: 'dispose'; id: string }
  /** Reads a source's model.json and reports sizes and what is already stored; loads nothing. */
  | { kind: 'inspect'; id: string; source: ModelSource }
  | { kind: 'listCached'; id: string }
  /** Deletes every stored file of the model folder `modelId` (a loaded model keeps running). */
  | { kind: 'deleteCached'; id: string; modelId: string };

export type RequestKind = Request['kind'];

// ---------------------------------------------------------------------------------------------------
// Events (worker → page). `id` is the request they belong to.

export type WorkerEvent =
  | { kind: 'probed'; id: string; report: ProbeReport }
  | { kind: 'progress'; id: string; progress: LoadProgress }
  | { kind: 'ready'; id: string; ready: Ready }
  | { kind: 'proposals'; id: string; boxes: ScoredBox[] }
  | { kind: 'token'; id: string; text: string }
  /** During an ask: the model now runs elsewhere; the tokens streamed so far are void, the answer starts over. */
  | { kind: 'backendChanged'; id: string; change: BackendChange }
  | { kind: 'answer'; id: string; answer: Answer }
  | { kind: 'prepared'; id: string; prepared: Prepared }
  | { kind: 'measured'; id: string; report: ContextReport }
  | { kind: 'disposed'; id: string }
  | { kind: 'inspected'; id: string; info: ModelInfo }
  | { kind: 'cachedModels'; id: string; models: CachedModel[] }
  | { kind: 'deletedCached'; id: string; modelId: string }
  /** `id` is null only when the request was too malformed to carry one. */
  | { kind: 'error'; id: string | null; error: EngineErrorData };

export type WorkerEventKind = WorkerEvent['kind'];

/** The exhaustiveness check that ends every switch over a union. */
export function unreachable(x: never): never {
  throw new Error(`unreachable: unhandled case ${JSON.stringify(x)}`);
}
