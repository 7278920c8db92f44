// The engine's API: what a caller asks of it (load, propose, ask, measure) and what it answers, in the
// engine's own types, so that it depends on nothing but the contract (src/model-folder). The worker protocol
// (src/protocol) carries these across postMessage, re-exporting them for the page; the engine never imports it.

import type { PixelBox } from '../model-folder/boxes.ts';

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
  /**
   * The prompt's question-independent prefix was already in the KV cache (Engine.prepare, or an earlier
   * question on the same image and boxes): only the question's own tokens were prefilled.
   */
  prefixReused: boolean;
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


export interface LoadOptions {
  source: ModelSource;
  /** Force every session onto this backend instead of choosing (tests, the status menu). */
  backend?: Backend;
  /**
   * Threads the wasm decoder's int4 kernels run on, a whole number ≥ 1 (tests, the app's `?threads=N`);
   * default: onnxruntime's wasm thread count, else half the cores, at most 4 (create-decoder.ts).
   */
  wasmThreads?: number;
  /**
   * On wasm, run the encoders' int4 Linears as int8 (src/engine/encoders/int8-linears.ts; default true): the
   * full model's first answer came 36 % sooner (bench/RESULTS.md, "Time to first token"; the rewrite adds ~11 s
   * to its load). false keeps onnxruntime's MatMulNBits, e.g. for a checkpoint whose activation outliers the
   * per-tensor uint8 activations of DynamicQuantizeMatMul do not tolerate.
   */
  wasmEncoderInt8?: boolean;
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

/** An image and its boxes to get ready for questions (Engine.prepare): an ask without its question. */
export type PrepareOptions = Omit<AskOptions, 'generation' | 'task' | 'regions'>;

/** What Engine.prepare did: ms of each step (0 for what was already there) and what the cache now holds. */
export interface Prepared {
  detail: DetailLevel;
  imageTokens: number;
  /** Prompt positions now in the KV cache: a question about these boxes prefills only its own tokens. */
  prefixTokens: number;
  /** The image's features were already encoded (the same image and level asked or prepared before). */
  imageReused: boolean;
  timings: Pick<AnswerTimings, 'preprocessMs' | 'visionMs' | 'regionsMs' | 'prefillMs'>;
}

/** What a question takes of the context, counted before anything runs (src/engine/prompt/budget.ts). */
export interface ContextReport {
  /** Positions the prompt takes: system text, the image's tokens at its size, the boxes, the question. */
  promptTokens: number;
  /** Positions prompt + answer may take (the decoder's KV capacity or the model's context length). */
  contextTokens: number;
  /** New tokens that fit after the prompt; below 1 the question cannot be asked. */
  remaining: number;
}

/** The engine as the worker's dispatcher drives it and the page's client proxy offers it (src/protocol/client.ts). */
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
  /**
   * Does the question-independent work for an image and its boxes — encoders, region encoder and the prompt's
   * prefix in the KV cache (conversation.ts) — so the first question about them starts at once. The page calls
   * it once the boxes are on screen, while the person picks a box and types; an ask with the same image, level
   * and boxes then reuses all of it.
   */
  prepare(options: PrepareOptions, signal: AbortSignal): Promise<Prepared>;
  /** Counts the question's prompt against the context (the question box's budget); runs no graph. */
  measure(options: MeasureOptions, signal: AbortSignal): Promise<ContextReport>;
  /** Releases every session; a later `load` starts afresh. */
  dispose(): Promise<void>;
}
