// The typed messages between the page and the engine worker. Every request carries a
// uuid `id`; every reply names the request it answers, so the client can keep several in flight while
// the worker runs them one at a time. `kind` fixes the payload type on both sides: a `switch` on it
// narrows without casts and ends in `unreachable()` so that adding a kind breaks every unhandled switch.

import type { PixelBox } from '../model-folder/boxes.ts';
import type { ConvertedFrom } from './convert.ts';
import type { EngineErrorData } from './errors.ts';

/** One execution provider of onnxruntime-web that the engine can run a session on. */
export type Backend = 'webgpu' | 'wasm';

// ---------------------------------------------------------------------------------------------------
// Shared payload types

/** Where a model folder comes from: a static host, or files the person picked. */
export type ModelSource =
  | { kind: 'url'; url: string } // a folder holding model.json (any static host)
  | { kind: 'files'; files: File[] } // a folder picked or dropped by the user; names relative to it
  | { kind: 'cached'; modelId: string }; // a model already stored in Cache Storage / OPFS

// A box crosses the worker as a plain PixelBox in original image pixels, x2 > x1: a brand cannot travel in a
// message, so the engine checks the boxes and only then takes them as the contract's OriginalBox
// (src/engine/preprocess/boxes.ts validateBoxes).
export type { PixelBox };

/** Pixels for the engine: a decoded bitmap from the browser, or raw RGBA (Node, tests, CLI). */
export type ImageInput =
  | { kind: 'bitmap'; bitmap: ImageBitmap }
  | { kind: 'rgba'; width: number; height: number; data: Uint8ClampedArray }; // (H, W, 4) row-major

/**
 * The task templates of docs/model.md ("Prompt") plus free text. Region references are not part of the
 * text: they come from `AskRequest.regions`, so typed text can never inject `<regionN>`.
 */
export type Task =
  | { preset: 'region-caption-brief' } // "Provide a brief description for {regions}."
  | { preset: 'region-caption-detailed' } // "Provide a detailed description for {regions}."
  | { preset: 'region-ocr' } // "Please provide the ocr results of {regions} in the image."
  | { preset: 'detect'; label: string } // "Please detect {label} in this image. ..."
  | { preset: 'count'; label: string } // "How many {label} are there in this image? ..."
  | { preset: 'visual-prompt-detect' } // visual-prompt OD with the referenced regions as examples
  | { preset: 'grounded-caption' } // "Briefly describe this image and detect all mentioned objects. ..."
  | { preset: 'detect-all' } // OD all: "Please identify every object in the image ..."
  | { preset: 'reasoning'; question: string } // the <think>/<answer> reasoning template
  | { preset: 'free'; text: string };

export type TaskPreset = Task['preset'];

/**
 * Every preset, named as the engine's task kinds (prompt/tasks.ts, the authors' template names where they
 * have one), with the field of its typed text (null: none) and whether it cites the selected boxes. The CLI's
 * --task names and the README's list are these.
 */
export const TASK_PRESETS: Readonly<Record<TaskPreset, { text: 'label' | 'question' | 'text' | null; regions: boolean }>> = {
  free: { text: 'text', regions: false },
  'region-caption-brief': { text: null, regions: true },
  'region-caption-detailed': { text: null, regions: true },
  'region-ocr': { text: null, regions: true },
  'visual-prompt-detect': { text: null, regions: true },
  detect: { text: 'label', regions: false },
  count: { text: 'label', regions: false },
  'grounded-caption': { text: null, regions: false },
  'detect-all': { text: null, regions: false },
  reasoning: { text: 'question', regions: false },
};

export const TASK_PRESET_NAMES = Object.keys(TASK_PRESETS) as TaskPreset[];

/** The task of `preset` with `text` in its field (ignored by presets that take none). */
export function presetTask(preset: TaskPreset, text: string): Task {
  switch (preset) {
    case 'detect':
    case 'count':
      return { preset, label: text };
    case 'reasoning':
      return { preset, question: text };
    case 'free':
      return { preset, text };
    default:
      return { preset };
  }
}

export interface GenerationOptions {
  maxNewTokens: number;
  /** 0 (the default) is greedy decoding, as the reference. */
  temperature?: number;
  topP?: number;
}

/** What the worker found about each backend: can a session be created and run, and with what result. */
export interface BackendProbe {
  backend: Backend;
  ok: boolean;
  /** Why it failed or what it ran on, in words (e.g. the WebGPU adapter, or the error message). */
  detail: string;
  /** Output of the probe graph when it ran; `expected` is the same computation in plain JS. */
  output?: number[];
  expected?: number[];
}

export interface ProbeReport {
  backends: BackendProbe[];
  crossOriginIsolated: boolean;
  wasmThreads: number;
}

/** Which backend one ONNX session got, and why (src/engine/session.ts chooses). */
export interface SessionBackend {
  session: string;
  backend: Backend;
  reason: string;
}

/**
 * The loaded model moved to another backend while answering (the WebGPU device was lost): the page's
 * badge and status follow it, and the answer being streamed restarts there.
 */
export interface BackendChange {
  /** Why the old backend was left, in words, e.g. "WebGPU device lost (destroyed: …)". */
  cause: string;
  /** Every session of the model as it runs now. */
  sessions: SessionBackend[];
}

export interface ScoredBox {
  box: PixelBox;
  score: number;
}

/** One label of a parsed answer with the caller's boxes it cites (docs/model.md "Answer grammar"). */
export interface CitedRegion {
  label: string;
  /** Indices into `AskRequest.boxes`. */
  indices: number[];
}

export interface AnswerTimings {
  preprocessMs: number;
  visionMs: number;
  regionsMs: number;
  prefillMs: number;
  ttftMs: number;
  decodeTokPerS: number;
}

/** Why an answer ended: the model's stop token, `maxNewTokens`, or prompt + answer filling the context. */
export type StopReason = 'stop-token' | 'max-tokens' | 'context-full';

export interface Answer {
  /** Everything generated, also when it stopped at a full context (then it is the answer so far). */
  text: string;
  regions: CitedRegion[];
  /** Cited indices that had no box; dropped from `regions` and reported here. */
  droppedIndices: number[];
  count?: number;
  timings: AnswerTimings;
  backend: Backend;
  /** The detail level the image was encoded at, and the image tokens that gave the decoder. */
  detail: DetailLevel;
  imageTokens: number;
  stop: StopReason;
  /** Set when fewer new tokens were allowed than asked for: prompt + answer must fit the context. */
  cappedNewTokens?: { asked: number; allowed: number };
  /** Set on the answer during which the WebGPU device was found lost: why. It, and every later answer, ran on wasm. */
  backendFallback?: string;
}

export type LoadProgress =
  | { stage: 'download'; file: string; bytesDone: number; bytesTotal: number }
  | { stage: 'compile'; session: string }
  /** `backend`: where the decoder warms up (a slow WebGPU warm-up is offered a move to wasm, ModelProgress.tsx). */
  | { stage: 'warmup'; backend: Backend };

export interface Ready {
  modelId: string;
  sessions: SessionBackend[];
  /** Set when the model loaded but its files could not be stored for offline use (e.g. quota exceeded): why. */
  notStored?: string;
}

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

export interface LoadOptions {
  source: ModelSource;
  /** Force every session onto this backend instead of choosing (tests, the status menu). */
  backend?: Backend;
  /**
   * Threads the wasm decoder's int4 kernels run on, a whole number ≥ 1 (tests, the app's `?threads=N`);
   * default: onnxruntime's wasm thread count, else half the cores, at most 4 (create-decoder.ts).
   */
  wasmThreads?: number;
}

export interface ProposeOptions {
  imageId: string;
  image: ImageInput;
}

/**
 * How many pixels the encoders see (src/engine/preprocess/detail.ts): `reference` is the authors' pipeline
 * exactly (long side 2048, up to 4,015 image tokens); `medium` and `low` cap the image at 1,280 and 512
 * image tokens for every encoder and box frame.
 */
export type DetailLevel = 'reference' | 'medium' | 'low';

export const DETAIL_LEVELS: readonly DetailLevel[] = ['reference', 'medium', 'low'];

export interface AskOptions {
  /** The image the question is about; `image` is needed only the first time the engine sees the id. */
  imageId: string;
  image?: ImageInput;
  boxes: PixelBox[];
  /** Indices into `boxes` that the prompt refers to (the chips in the question box). */
  regions: number[];
  task: Task;
  generation: GenerationOptions;
  /** Absent: the backend's default (engine/preprocess/detail.ts defaultDetail). */
  detail?: DetailLevel;
}

/** A question to count (the question box's budget): an ask without its generation settings. */
export type MeasureOptions = Omit<AskOptions, 'generation'>;

/** What a question takes of the context, counted before anything runs (src/engine/prompt/budget.ts). */
export interface ContextReport {
  /** Positions the prompt takes: system text, the image's tokens at its size, the boxes, the question. */
  promptTokens: number;
  /** Positions prompt + answer may take (the decoder's KV capacity or the model's context length). */
  contextTokens: number;
  /** New tokens that fit after the prompt; below 1 the question cannot be asked. */
  remaining: number;
}

export type Request =
  | { kind: 'probe'; id: string }
  | { kind: 'load'; id: string; options: LoadOptions }
  | { kind: 'propose'; id: string; options: ProposeOptions }
  | { kind: 'ask'; id: string; options: AskOptions }
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
