// The real engine (issue 3): the `Engine` of api.ts over a model folder, identical in the worker and in
// Node — every platform difference is injected (the ORT module, how to open a source, a cache, a decoder
// for bitmaps). One ask follows docs/model.md: image → preprocess → vision graphs → region encoder →
// prompt → splice → prefill → generate → parse. Per image the encoded features are kept; per image
// and box set the region embeddings and the prefix KV cache (conversation.ts), so a follow-up question
// pays only for its own tokens. Any failure becomes a typed EngineError and leaves the engine ready.
import type { ModelDtype } from '../model-folder/manifest.ts';
import type { Answer, AskOptions, BackendChange, ContextReport, DetailLevel, Engine, ImageInput, MeasureOptions, LoadOptions, LoadProgress, ModelSource, PrepareOptions, Prepared, ProbeReport, ProposeOptions, Ready, ScoredBox } from './api.ts';
import { EngineError } from './engine-error.ts';
import { Conversation, ImagePrefix } from './conversation.ts';
import { checkWasmThreads } from './decode/create-decoder.ts';
import { generate } from './decode/generate.ts';
import { checkSampling } from './decode/sampler.ts';
import { TextStream } from './decode/text-stream.ts';
import { toEngineError } from './errors.ts';
import { checkImageSize, rgbaToRgb, type RgbImage } from './image/rgb-image.ts';
import { FilesFolder } from './load/files-folder.ts';
import { readFolderDetector } from './load/detector.ts';
import type { ModelFolder } from './load/folder.ts';
import { loadModelFiles } from './load/load-model.ts';
import { UrlFolder, type CacheLike } from './load/url-folder.ts';
import { Fo1Model, type ImageFeatures } from './model.ts';
import { parseAnswer } from './parse/answer.ts';
import type { PixelBox } from '../model-folder/boxes.ts';
import { validateBoxes } from './preprocess/boxes.ts';
import { atDetail, defaultDetail, detailImageTokens } from './preprocess/detail.ts';
import { visionRefusal } from './encoders/vision-memory.ts';
import { prepareBoxes, prepareImage, type PreparedImage } from './preprocess/prepare.ts';
import { Fo1Tokenizer } from './prompt/tokenizer.ts';
import { capNewTokens, checkFits, contextBudget, type ContextBudget } from './prompt/budget.ts';
import { buildPromptSequence, type PromptInputs, type PromptSequence } from './prompt/sequence.ts';
import { TiledProposer } from './proposals/tiled.ts';
import type { DetectorManifest } from './proposals/detector-manifest.ts';
import { chooseBackend, createSession, errorText, findAdapter, type BackendChoice, type Ort } from './session.ts';
import { promptTask } from './task.ts';

/** A detector's manifest and ONNX bytes (src/engine/proposals). */
export interface DetectorFiles {
  manifest: DetectorManifest;
  onnx: Uint8Array;
}

export interface Fo1EngineOptions {
  ort: Ort;
  /** Opens sources the engine cannot open itself (Node: `file:` URLs and paths); null = not mine. */
  openFolder?: (source: ModelSource) => ModelFolder | null;
  /** Cache Storage for URL sources (browser: `caches.open(…)`); none in Node. */
  cache?: () => Promise<CacheLike | undefined>;
  /** Turns a browser ImageBitmap into RGB (decode-browser.ts bitmapToRgb); absent in Node. */
  bitmapToRgb?: (bitmap: ImageBitmap) => RgbImage;
  /** Which graphs to run; default q4f16 on WebGPU with shader-f16, else q4, when the folder has them (load-model.ts chooseDtype). */
  dtype?: ModelDtype;
  /** Seed of the sampler when a temperature is set (greedy ignores it). */
  seed?: number;
  /** Loads the proposal detector; called once per model load, null when there is none (default: the folder's own). */
  detector?: (folder: ModelFolder, signal: AbortSignal) => Promise<DetectorFiles | null>;
  /** Run every graph once during load so the first question pays no shader compilation (default true). */
  warmup?: boolean;
  /** A fuller backend probe (the worker's runs a graph on each backend); default: adapter check only. */
  probe?: () => Promise<ProbeReport>;
  /**
   * Run the wasm decoder on the engine's int4 kernels when they can (default true). false: onnxruntime's own
   * session, for a runtime with fast int4 kernels of its own (onnxruntime-node native: bench/native-ort.ts).
   */
  int4Kernels?: boolean;
}

interface Loaded {
  modelId: string;
  /** Where the model was read from: a fallback to wasm reads its graphs again (cached) rather than keeping them. */
  folder: ModelFolder;
  model: Fo1Model;
  tokenizer: Fo1Tokenizer;
  stopIds: Set<number>;
  proposer: TiledProposer<InstanceType<Ort['Tensor']>> | null;
  sessions: Ready['sessions'];
  /** Set (why) once the WebGPU device these sessions run on is lost. */
  deviceLost: string | null;
  /** LoadOptions' wasm settings, kept for a fallback to wasm. */
  wasm: Pick<BackendChoice, 'threads' | 'int8Encoders' | 'ortDecoder'>;
}

/** One image as the encoders see it (everything but the boxes), with what was computed from it. */
interface ImageState extends PreparedImage {
  id: string;
  features: ImageFeatures | null;
  /** The prompt's image part in the KV cache, shared by every box set (conversation.ts). */
  prefix: ImagePrefix | null;
  conversation: { key: string; conv: Conversation } | null;
}

const now = () => performance.now();

export class Fo1Engine implements Engine {
  private loaded: Loaded | null = null;
  private image: ImageState | null = null;

  constructor(private readonly options: Fo1EngineOptions) {}

  async probe(): Promise<ProbeReport> {
    if (this.options.probe) return this.options.probe();
    const webgpu = await findAdapter();
    return {
      backends: [{ backend: 'wasm', ok: true, detail: 'CPU (WebAssembly)' }, { backend: 'webgpu', ok: webgpu.adapter !== null, detail: webgpu.detail }],
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      wasmThreads: Number(this.options.ort.env.wasm.numThreads ?? 1),
    };
  }

  async load(options: LoadOptions, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<Ready> {
    return this.guard(async () => {
      const wasm: Loaded['wasm'] = {
        ...(options.wasmThreads === undefined ? {} : { threads: checkWasmThreads(options.wasmThreads) }),
        ...(options.wasmEncoderInt8 === false ? {} : { int8Encoders: true }),
        ...(this.options.int4Kernels === false ? { ortDecoder: true } : {}),
      };
      await this.dispose();
      const folder = await this.openFolder(options.source);
      const built = await this.build(folder, { ...(await chooseBackend(options.backend)), ...wasm }, onProgress, signal);
      const modelId = options.source.kind === 'url' ? options.source.url : options.source.kind === 'cached' ? options.source.modelId : `${built.model.manifest.source} (${folder.description})`;
      this.loaded = { ...built, modelId };
      this.watchDevice(this.loaded);
      if (this.options.warmup ?? true) {
        onProgress({ stage: 'warmup', backend: built.model.decoderBackend });
        await this.warmup(signal);
      }
      return { modelId, sessions: built.sessions };
    });
  }

  /** Reads the folder's graphs for `backend` and creates every session (model and detector) on it. */
  private async build(folder: ModelFolder, backend: BackendChoice, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<Omit<Loaded, 'modelId'>> {
    const files = await loadModelFiles(folder, this.options.dtype, onProgress, signal, backend);
    const tokenizer = Fo1Tokenizer.fromJson(files.tokenizerJson, files.tokenizerConfig);
    const choice = { ...backend, reason: `${backend.reason}; ${files.dtypeReason}` };
    const model = await Fo1Model.create(this.options.ort, files.manifest, files.graphs, choice, onProgress);
    const { tokens } = files.manifest;
    const stopIds = new Set([...tokens.eos, ...(tokens.imEnd === null ? [] : [tokens.imEnd])]);
    const sessions = [...model.backends];
    let proposer: Loaded['proposer'] = null;
    try {
      const detector = await (this.options.detector ?? readFolderDetector)(folder, signal);
      if (detector) {
        const created = await createSession(this.options.ort, { name: 'detector', bytes: { graph: detector.onnx, externalData: [] }, choice });
        sessions.push(created.report);
        const ort = this.options.ort;
        proposer = new TiledProposer(created.session, detector.manifest, (d, dims) => new ort.Tensor('float32', d, dims));
      }
    } catch (e) {
      await model.release();
      throw e;
    }
    return { folder, model, tokenizer, stopIds, proposer, sessions, deviceLost: null, wasm: { threads: backend.threads, int8Encoders: backend.int8Encoders, ortDecoder: backend.ortDecoder } };
  }

  /**
   * Notes when the GPUDevice ORT runs the WebGPU sessions on is lost (driver reset, another tab's crash,
   * `device.destroy()`): every later run there fails, so the next ask moves to wasm (fallBackToWasm).
   */
  private watchDevice(loaded: Loaded): void {
    if (!loaded.sessions.some((s) => s.backend === 'webgpu')) return;
    Promise.resolve(this.options.ort.env.webgpu.device)
      .then((device) => device?.lost)
      .then((info) => {
        if (info) loaded.deviceLost = `WebGPU device lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
      })
      .catch(() => {}); // no device to watch: nothing can be lost
  }

  async propose(options: ProposeOptions, signal: AbortSignal): Promise<ScoredBox[]> {
    return this.guard(async () => {
      const loaded = this.requireLoaded();
      if (!loaded.proposer) throw new EngineError('not-available', 'this model folder has no box detector (detector/detector.json); draw boxes by hand instead');
      const image = this.originalFor(loaded, options.imageId, options.image);
      if (signal.aborted) throw new EngineError('cancelled', 'proposing boxes was cancelled');
      return (await loaded.proposer.propose(image.original)).map((p) => ({ box: p.box, score: p.score }));
    });
  }

  /**
   * Answers on the loaded sessions; when the WebGPU device is lost before or during the answer, rebuilds
   * every session on wasm and answers again from the start there (the image's features and KV caches
   * lived on the lost device), saying so in `backendFallback`. Tokens already streamed are not retracted:
   * the page starts the answer afresh on the fallback (`onBackendChange` tells it when and why).
   */
  async ask(options: AskOptions, onToken: (text: string) => void, signal: AbortSignal, onBackendChange?: (change: BackendChange) => void): Promise<Answer> {
    return this.guard(async () => {
      const loaded = this.requireLoaded();
      const fallBack = (lost: string) => this.askAfterFallback(loaded, lost, options, onToken, signal, onBackendChange);
      if (loaded.deviceLost) return fallBack(loaded.deviceLost);
      try {
        return await this.answer(loaded, options, onToken, signal);
      } catch (e) {
        const lost = loaded.deviceLost ?? deviceLostText(e);
        if (lost === null || signal.aborted) throw e;
        return fallBack(lost);
      }
    });
  }

  private async askAfterFallback(loaded: Loaded, lost: string, options: AskOptions, onToken: (text: string) => void, signal: AbortSignal, onBackendChange?: (change: BackendChange) => void): Promise<Answer> {
    const reason = `${lost}; continuing on wasm`;
    await this.fallBackToWasm(loaded, reason, signal);
    const wasm = this.requireLoaded();
    onBackendChange?.({ cause: lost, sessions: wasm.sessions });
    return { ...(await this.answer(wasm, options, onToken, signal)), backendFallback: reason };
  }

  /** Replaces the loaded sessions by wasm ones; the image is kept, its GPU-resident features are not. */
  private async fallBackToWasm(lost: Loaded, reason: string, signal: AbortSignal): Promise<void> {
    this.loaded = null;
    if (this.image) {
      this.forgetEncoded(this.image);
      this.image.features = null;
    }
    await lost.model.release().catch(() => {}); // sessions on a lost device may refuse to release
    const built = await this.build(lost.folder, { backend: 'wasm', reason, ...lost.wasm }, () => {}, signal);
    this.loaded = { ...built, modelId: lost.modelId };
  }

  private async answer(loaded: Loaded, options: AskOptions, onToken: (text: string) => void, signal: AbortSignal): Promise<Answer> {
    const t0 = now();
    const image = this.imageFor(options.imageId, options.image, options.detail ?? visionDefault(loaded));
    const boxes = options.boxes;
    checkSampling(options.generation);
    const { model, tokenizer } = loaded;
    const { seq, budget } = this.question(loaded, image.original, image.detail, options);
    checkFits(budget);
    const asked = options.generation.maxNewTokens;
    const { maxNewTokens, capped } = capNewTokens(budget, asked);
    const prepared = prepareBoxes(image, boxes);
    if (!image.features) checkVisionFits(loaded, image);
    const t1 = now();
    const features = image.features ?? (image.features = await model.encodeImage(image));
    const t2 = now();
    const conv = await this.conversationFor(image, features, boxes, () => (boxes.length > 0 ? model.encodeRegions(features, prepared) : Promise.resolve(new Float32Array(0))));
    const t3 = now();
    abortIfNeeded(signal);
    const pre = await conv.prefill(seq);
    const t4 = now();
    let tFirst = 0;
    const stream = new TextStream((ids) => tokenizer.decode(ids));
    const step = async (token: number, cache: Parameters<typeof model.decode>[2]) => model.decode(await model.embedText([token]), Int32Array.from({ length: 3 }, () => cache.length + pre.ropeDelta), cache);
    const generated = await generate(
      pre.first,
      pre.prefix,
      { maxNewTokens, temperature: options.generation.temperature, topP: options.generation.topP, seed: this.options.seed ?? 0, stopIds: loaded.stopIds, contextTokens: budget.contextTokens },
      step,
      (id) => {
        if (tFirst === 0) tFirst = now();
        const piece = stream.push(id);
        if (piece) onToken(piece);
      },
      signal,
    );
    const tEnd = now();
    const text = stream.text.trim();
    const parsed = parseAnswer(text, boxes);
    const decodeSteps = generated.ids.length - 1;
    return {
      text,
      regions: groupRegions(parsed.regions),
      droppedIndices: parsed.dropped,
      ...(parsed.count === null ? {} : { count: parsed.count }),
      timings: {
        preprocessMs: t1 - t0,
        visionMs: t2 - t1,
        regionsMs: t3 - t2,
        prefillMs: t4 - t3,
        ttftMs: (tFirst || tEnd) - t0,
        decodeTokPerS: decodeSteps > 0 ? (decodeSteps * 1000) / (tEnd - tFirst) : 0,
      },
      backend: model.decoderBackend,
      detail: image.detail,
      imageTokens: seq.imageTokens,
      prefixReused: pre.reused,
      // A capped answer that ran to its cap ended because the context is full, not because it was asked to.
      stop: capped && generated.stop === 'max-tokens' ? 'context-full' : generated.stop,
      ...(capped ? { cappedNewTokens: { asked, allowed: maxNewTokens } } : {}),
    };
  }

  async prepare(options: PrepareOptions, signal: AbortSignal): Promise<Prepared> {
    return this.guard(async () => {
      const loaded = this.requireLoaded();
      // The ask that comes next moves to wasm first (fallBackToWasm); preparing on a lost device would only fail.
      if (loaded.deviceLost) throw new EngineError('not-available', `${loaded.deviceLost}: the next question moves to wasm`);
      const t0 = now();
      const image = this.imageFor(options.imageId, options.image, options.detail ?? visionDefault(loaded));
      const { model } = loaded;
      const { seq, budget } = this.sequence(loaded, image.original, image.detail, options.boxes, []);
      checkFits(budget);
      const prepared = prepareBoxes(image, options.boxes);
      const imageReused = image.features !== null;
      if (!imageReused) checkVisionFits(loaded, image);
      const t1 = now();
      const features = image.features ?? (image.features = await model.encodeImage(image));
      const t2 = now();
      abortIfNeeded(signal, 'preparing the photo was cancelled');
      const conv = await this.conversationFor(image, features, options.boxes, () => (options.boxes.length > 0 ? model.encodeRegions(features, prepared) : Promise.resolve(new Float32Array(0))));
      const t3 = now();
      abortIfNeeded(signal, 'preparing the photo was cancelled');
      const prefix = await conv.preparePrefix(seq);
      const t4 = now();
      return {
        detail: image.detail,
        imageTokens: seq.imageTokens,
        prefixTokens: prefix.tokens,
        imageReused,
        timings: { preprocessMs: t1 - t0, visionMs: t2 - t1, regionsMs: t3 - t2, prefillMs: t4 - t3 },
      };
    });
  }

  async measure(options: MeasureOptions, signal: AbortSignal): Promise<ContextReport> {
    return this.guard(async () => {
      const loaded = this.requireLoaded();
      abortIfNeeded(signal);
      // Counted at the level asked for, from the pixels alone: a measure changes no engine state, since it may run
      // beside a prepare (src/protocol/dispatcher.ts) whose image and caches must stay as they are.
      const { budget } = this.question(loaded, this.pixelsOf(options.imageId, options.image), options.detail ?? visionDefault(loaded), options);
      return { promptTokens: budget.promptTokens, contextTokens: budget.contextTokens, remaining: budget.remaining };
    });
  }

  /**
   * The question's prompt sequence and its context budget. The whole prompt is known before any graph runs
   * (the image's token count follows from its size at `detail`: the same work image and smart_resize that
   * imageFor prepares at that level), so a question that cannot fit costs only the tokenizer.
   */
  private question(loaded: Loaded, original: RgbImage, detail: DetailLevel, options: MeasureOptions): { seq: PromptSequence; budget: ContextBudget } {
    return this.sequence(loaded, original, detail, options.boxes, promptTask(options.task, options.regions));
  }

  /** The prompt for `boxes` on the image at `detail` with `task` (none: the question-independent prefix and an empty question). */
  private sequence(loaded: Loaded, original: RgbImage, detail: DetailLevel, boxes: readonly PixelBox[], task: PromptInputs['task']): { seq: PromptSequence; budget: ContextBudget } {
    validateBoxes(boxes, original);
    const { model, tokenizer } = loaded;
    const imageTokens = detailImageTokens(original.width, original.height, atDetail(model.manifest.image, detail));
    const seq = buildPromptSequence(tokenizer, { imageTokens, boxCount: boxes.length, task }, { imageToken: model.manifest.tokens.imagePad });
    return { seq, budget: contextBudget(seq, model.contextTokens) };
  }

  async dispose(): Promise<void> {
    this.forgetImage();
    const loaded = this.loaded;
    this.loaded = null;
    await loaded?.model.release();
  }

  /** Runs `fn`, converting any failure into an EngineError. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toEngineError(e);
    }
  }

  private requireLoaded(): Loaded {
    if (!this.loaded) throw new EngineError('no-model', 'no model loaded: load a model folder first');
    return this.loaded;
  }

  private async openFolder(source: ModelSource): Promise<ModelFolder> {
    const custom = this.options.openFolder?.(source);
    if (custom) return custom;
    switch (source.kind) {
      case 'url':
      case 'cached':
        return new UrlFolder(source.kind === 'url' ? source.url : source.modelId, { cache: await this.options.cache?.() });
      case 'files':
        return new FilesFolder(source.files);
    }
  }

  /**
   * The image `id` names at `detail`: `input` replaces it when given, else it must be the one seen last. Same
   * id and level: the encoded features are kept; another level re-prepares the kept pixels from scratch.
   */
  private imageFor(id: string, input: ImageInput | undefined, detail: DetailLevel): ImageState {
    const known = this.image?.id === id ? this.image : null; // same id, same pixels
    if (known?.detail === detail) return known;
    if (!known && !input) throw unknownImage(id);
    const original = known?.original ?? this.toRgb(input!);
    const prepared = prepareImage(original, atDetail(this.requireLoaded().model.manifest.image, detail));
    this.forgetImage();
    this.image = { id, ...prepared, features: null, prefix: null, conversation: null };
    return this.image;
  }

  /** The original pixels of image `id` (the known image's, else `input`'s), keeping nothing. */
  private pixelsOf(id: string, input: ImageInput | undefined): RgbImage {
    if (this.image?.id === id) return this.image.original;
    if (!input) throw unknownImage(id);
    return this.toRgb(input);
  }

  /** The image `id` names, for what reads its original pixels only: it keeps the level it has, or gets the default one. */
  private originalFor(loaded: Loaded, id: string, input: ImageInput | undefined): ImageState {
    return this.imageFor(id, input, this.image?.id === id ? this.image.detail : visionDefault(loaded));
  }

  private toRgb(input: ImageInput): RgbImage {
    if (input.kind === 'rgba') {
      checkImageSize(input.width, input.height);
      return rgbaToRgb(input.width, input.height, input.data);
    }
    checkImageSize(input.bitmap.width, input.bitmap.height);
    if (!this.options.bitmapToRgb) throw new EngineError('bad-input', 'this engine cannot read ImageBitmaps here; send RGBA pixels');
    return this.options.bitmapToRgb(input.bitmap);
  }

  private async conversationFor(image: ImageState, features: ImageFeatures, boxes: readonly PixelBox[], regions: () => Promise<Float32Array>): Promise<Conversation> {
    const key = JSON.stringify(boxes.map((b) => [b.x1, b.y1, b.x2, b.y2]));
    if (image.conversation?.key === key) return image.conversation.conv;
    image.conversation?.conv.dispose();
    image.conversation = null;
    const model = this.loaded!.model;
    image.prefix ??= new ImagePrefix(model, { embeds: features.imageEmbeds, grid: features.grid });
    const conv = new Conversation(model, image.prefix, await regions());
    image.conversation = { key, conv };
    return conv;
  }

  private forgetImage(): void {
    if (this.image) this.forgetEncoded(this.image);
    this.image = null;
  }

  /** Drops the image's KV caches (its box set's, then its own). */
  private forgetEncoded(image: ImageState): void {
    image.conversation?.conv.dispose();
    image.conversation = null;
    image.prefix?.dispose();
    image.prefix = null;
  }

  /**
   * One tiny question through every graph (compiles WebGPU shaders), then forgets its image. One new token:
   * the prompt's last logits are the only lm_head run (seconds on a software adapter, decoder-run.ts).
   */
  private async warmup(signal: AbortSignal): Promise<void> {
    const side = 56;
    const data = new Uint8ClampedArray(side * side * 4).fill(128);
    await this.ask(
      { imageId: '\0warmup', image: { kind: 'rgba', width: side, height: side, data }, boxes: [{ x1: 8, y1: 8, x2: 40, y2: 40 }], regions: [0], task: { preset: 'region-caption-brief' }, generation: { maxNewTokens: 1 } },
      () => {},
      signal,
    );
    this.forgetImage();
  }
}

/** The reason when `e` says the WebGPU device is gone (ORT/Dawn: "Device is lost", "device lost", "GPUDevice was destroyed"); else null. */
function deviceLostText(e: unknown): string | null {
  const text = errorText(e);
  return /device (is |was )?(lost|destroyed)|GPUDevice.*(lost|destroyed)/i.test(text) ? `WebGPU device lost (${text})` : null;
}

/** Refuses, before any graph runs, an image whose level the backend cannot hold (encoders/vision-memory.ts). */
function checkVisionFits(loaded: Loaded, image: ImageState): void {
  const { manifest, encoderGraphBytes } = loaded.model;
  const backend = loaded.sessions.find((b) => b.session === 'vision_semantic')!.backend;
  const refusal = visionRefusal(manifest, [image.original.width, image.original.height], image.detail, encoderGraphBytes, backend);
  if (refusal) throw new EngineError('not-available', refusal);
}

/** The detail level for the backend the vision graphs run on. */
function visionDefault(loaded: Loaded): DetailLevel {
  return defaultDetail(loaded.sessions.find((b) => b.session === 'vision_semantic')!.backend);
}

function unknownImage(id: string): EngineError {
  return new EngineError('bad-input', `image "${id}" is not known to the engine: send its pixels with the request`);
}

function abortIfNeeded(signal: AbortSignal, what = 'the question was cancelled'): void {
  if (signal.aborted) throw new EngineError('cancelled', what);
}

/** parseAnswer's (label, index) pairs as the protocol's label → indices groups; bare citations under ''. */
function groupRegions(regions: readonly { index: number; label: string | null }[]): Answer['regions'] {
  const byLabel = new Map<string, number[]>();
  for (const r of regions) {
    const label = r.label ?? '';
    const list = byLabel.get(label) ?? [];
    if (!list.includes(r.index)) list.push(r.index);
    byLabel.set(label, list);
  }
  return [...byLabel].map(([label, indices]) => ({ label, indices }));
}
