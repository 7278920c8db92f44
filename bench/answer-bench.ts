// Issue 5 figure 5 / issue 3 "Performance": a whole answer through the engine (src/engine/node.ts, ORT-web
// wasm), as a user asks: a 640×480 photo (a real COCO photo when ../shared is present) with 20 boxes and a
// short question, then a follow-up on the same image and boxes (the engine keeps the image features, region
// embeddings and prefix KV cache, so the follow-up pays only for its own tokens). Each round uses a new image
// id, so every first question re-encodes the image. The engine's own load warm-up runs every graph once;
// `warmupRounds` adds rounds at the real size that are not recorded. Then, once, the page's path: the photo
// read ahead (Engine.prepare, as the page does once its boxes are on screen), the same first question, and a
// question about a box drawn afterwards (conversation.ts: the image's part of the prompt cache is kept).

import { readFile } from 'node:fs/promises';
import type { ModelDtype } from '../src/model-folder/manifest.ts';
import type { Answer, AnswerTimings, DetailLevel, ImageInput, Prepared } from '../src/protocol/messages.ts';
import type { Engine } from '../src/protocol/engine.ts';
import type { PixelBox } from '../src/model-folder/boxes.ts';
import { hasShared, sharedAsset } from '../src/testing/shared.ts';
import { PHONE_SIZE, PHONE_SOURCE, phonePhotoJpeg } from './phone-photo.ts';
import { nativeOrt } from './native-ort.ts';
import type { Runtime } from './runtime.ts';
import { summarize, type Summary } from './stats.ts';
import { spreadBoxes } from './vision-bench.ts';

export interface AnswerArgs {
  folder: string;
  dtype: ModelDtype;
  boxes: number;
  rounds: number;
  warmupRounds: number;
  maxNewTokens: number;
  /** Then the phone photo (bench/phone-photo.ts, EXIF-rotated to portrait) asked once at each of these levels. */
  phoneLevels: DetailLevel[];
  /** The encoders' int4 Linears as int8 on wasm (LoadOptions.wasmEncoderInt8, the default) or onnxruntime's MatMulNBits. */
  encoders: EncoderLinears;
}

export type EncoderLinears = 'int8' | 'int4';

export const QUESTION = 'What is this, and what is it doing?';
export const FOLLOW_UP = 'What colour is it?';

/** The COCO photo the answer figures use: 640×480 with 22 ground-truth boxes. */
const COCO_PHOTO = '000000520707.jpg';

export interface RoundsSummary {
  firstTtftMs: Summary;
  followUpTtftMs: Summary;
  visionMs: Summary;
  regionsMs: Summary;
  firstPrefillMs: Summary;
  followUpPrefillMs: Summary;
  decodeTokPerS: Summary;
}

/** Median/min/max of each timing over question + follow-up rounds (the engine's and the browser's alike). */
export function summarizeRounds(rounds: readonly AnswerRound[]): RoundsSummary {
  const s = (f: (r: AnswerRound) => number) => summarize(rounds.map(f));
  return {
    firstTtftMs: s((r) => r.first.ttftMs),
    followUpTtftMs: s((r) => r.followUp.ttftMs),
    visionMs: s((r) => r.first.visionMs),
    regionsMs: s((r) => r.first.regionsMs),
    firstPrefillMs: s((r) => r.first.prefillMs),
    followUpPrefillMs: s((r) => r.followUp.prefillMs),
    decodeTokPerS: s((r) => r.first.decodeTokPerS),
  };
}

export interface AnswerRound {
  first: AnswerTimings;
  followUp: AnswerTimings;
}

export interface AnswerRun {
  preset: string;
  dtype: ModelDtype;
  answered: boolean;
  photo: string;
  boxes: number;
  maxNewTokens: number;
  loadMs: number;
  backend: string;
  /** `wasm:2`: the engine as the product runs it; `native:2`: on onnxruntime-node's CPU provider (bench/native-ort.ts). Absent in older records: wasm. */
  runtime?: string;
  /** How the encoders' Linears ran (absent in records from before the choice existed: int4). */
  encoders?: EncoderLinears;
  rounds: AnswerRound[];
  /** Medians (min–max) over the rounds. */
  summary: RoundsSummary;
  /** Median follow-up TTFT ÷ median first TTFT (goal ≤ 0.1). */
  followUpVsFirst: number;
  firstAnswer: string;
  /** The photo read ahead, then asked about; absent in records from before Engine.prepare. */
  readAhead?: ReadAheadRun;
  /** The phone photo at each detail level asked for, lowest first (so each peak is that level's own). */
  phonePhoto?: { photo: string; levels: PhoneLevelRun[] };
  peakWasmBytes?: number;
  peakRssBytes: number;
  /** 1-minute load average at the start and end (bench/child.ts). */
  loadAverage?: number[];
}

/** The page's path on a new image id: what runs while the person picks a box and types, then what they wait for. */
export interface ReadAheadRun {
  /** Engine.prepare: encoders, region encoder and the prompt's prefix (`prefill`), and its total. */
  prepare: Prepared['timings'] & { totalMs: number; prefixTokens: number };
  /** The first question once prepared: only its own tokens are prefilled. */
  question: AnswerTimings;
  /** A box drawn after that, asked about: the region encoder again and the boxes' part of the prompt; the image's part is kept. */
  drawnBox: AnswerTimings;
}

/** One detail level on the phone photo: a first question with a new image id (vision, regions, prefill). */
export interface PhoneLevelRun {
  level: DetailLevel;
  answered: boolean;
  imageTokens?: number;
  timings?: AnswerTimings;
  /** The largest wasm memory after this level ran (memories only grow, and levels run lowest first); absent on native. */
  peakWasmBytes?: number;
  error?: string;
}

const log = (m: string) => process.stderr.write(`  ${m}\n`);

interface Photo {
  name: string;
  image: ImageInput;
  boxes: PixelBox[];
}

/** The COCO photo and its first `count` ground-truth boxes (spread boxes fill up to `count`), or a test card. */
async function photo(count: number): Promise<Photo> {
  if (hasShared) {
    const { imageInputFromFile } = await import('../src/engine/node.ts');
    const image = await imageInputFromFile(new Uint8Array(await readFile(sharedAsset('coco-val2017', 'images', COCO_PHOTO))));
    const meta = (JSON.parse(await readFile(sharedAsset('coco-val2017', 'boxes.json'), 'utf8')) as { file_name: string; objects: { bbox_xyxy: number[] }[] }[]).find((p) => p.file_name === COCO_PHOTO)!;
    const truth = meta.objects.map(({ bbox_xyxy: [x1, y1, x2, y2] }) => ({ x1, y1, x2, y2 })).slice(0, count);
    const { width, height } = image.kind === 'rgba' ? image : { width: 0, height: 0 };
    return { name: `COCO ${COCO_PHOTO} (${width}×${height})`, image, boxes: [...truth, ...spreadBoxes(count - truth.length, width, height)] };
  }
  return { name: 'generated 640×480 test card (../shared absent)', image: testCard(640, 480), boxes: spreadBoxes(count, 640, 480) };
}

/** An answer that did not come: where it failed, and what was measured up to then. */
export interface AnswerFailure {
  preset: string;
  dtype: string;
  answered: false;
  error: string;
  /** Set when the model loaded (and its load warm-up ran) before the failure. */
  loadMs?: number;
  heapAfterLoad?: number;
  /** ms from the start of the failing question to the failure. */
  failedAfterMs?: number;
  peakWasmBytes?: number;
  peakRssBytes?: number;
  loadAverage?: number[];
}

export async function measureAnswer(rt: Runtime, args: AnswerArgs, preset: string): Promise<Omit<AnswerRun, 'peakWasmBytes' | 'peakRssBytes' | 'loadAverage'> | AnswerFailure> {
  const { createNodeEngine, folderSource } = await import('../src/engine/node.ts');
  // native: the same engine and graphs on onnxruntime-node's CPU provider, the decoder as its session too
  // (native ORT has int4 kernels of its own): this machine's ceiling for the wasm figures
  const native = rt.spec.runtime === 'native' ? await nativeOrt(rt.spec.threads) : null;
  const engine = createNodeEngine({ dtype: args.dtype, numThreads: rt.spec.threads, seed: 0, ...(native ? { ort: native.ort, int4Kernels: false } : {}) });
  const signal = new AbortController().signal;
  const p = await photo(args.boxes);
  const t0 = performance.now();
  let loadMs: number | undefined;
  let heapAfterLoad: number | undefined;
  let tAsk = 0;
  try {
    await engine.load({ source: folderSource(args.folder), backend: 'wasm', wasmEncoderInt8: args.encoders === 'int8' }, () => {}, signal);
    loadMs = performance.now() - t0;
    log(`engine loaded in ${Math.round(loadMs)} ms; wasm heap ${rt.wasmMemoryBytes()}`);
    heapAfterLoad = rt.wasmMemoryBytes();
    const ask: Ask = (imageId, text, on = { image: p.image, boxes: p.boxes }) => {
      tAsk = performance.now();
      const { region = 0, ...where } = on;
      return engine.ask({ imageId, ...where, regions: [region], task: { preset: 'free', text }, generation: { maxNewTokens: args.maxNewTokens, temperature: 0 } }, () => {}, signal);
    };
    const rounds: AnswerRound[] = [];
    let firstAnswer = '';
    let backend = '';
    for (let r = -args.warmupRounds; r < args.rounds; r++) {
      const first = await ask(`bench-${r}`, QUESTION);
      const followUp = await ask(`bench-${r}`, FOLLOW_UP);
      log(`round ${r}${r < 0 ? ' (warm-up)' : ''}: first ttft ${Math.round(first.timings.ttftMs)} ms, follow-up ttft ${Math.round(followUp.timings.ttftMs)} ms`);
      if (r < 0) continue;
      rounds.push({ first: first.timings, followUp: followUp.timings });
      firstAnswer = first.text;
      backend = first.backend;
    }
    const readAhead = await readAheadRound(engine, ask, p, signal);
    const phonePhoto = args.phoneLevels.length && hasShared ? await askPhone(ask, args, rt) : undefined;
    const summary = summarizeRounds(rounds);
    return {
      preset,
      dtype: args.dtype,
      answered: rounds.length > 0,
      photo: p.name,
      boxes: p.boxes.length,
      maxNewTokens: args.maxNewTokens,
      loadMs: Math.round(loadMs),
      backend,
      runtime: `${rt.spec.runtime}:${rt.spec.threads}`,
      encoders: args.encoders,
      rounds,
      summary,
      followUpVsFirst: Math.round((summary.followUpTtftMs.median / summary.firstTtftMs.median) * 1000) / 1000,
      firstAnswer,
      readAhead,
      phonePhoto,
    };
  } catch (e) {
    // A model that does not fit or fails to run is a result too (issue 5: full q4 on wasm).
    const error = (e as Error).message;
    log(`failed: ${error}`);
    return {
      preset,
      dtype: args.dtype,
      answered: false,
      error,
      ...(loadMs === undefined ? {} : { loadMs: Math.round(loadMs), heapAfterLoad, failedAfterMs: Math.round(performance.now() - tAsk) }),
    };
  } finally {
    await engine.dispose();
    await native?.close();
  }
}

/** The photo read ahead (a new image id), the first question, then a box drawn and asked about. */
async function readAheadRound(engine: Pick<Engine, 'prepare'>, ask: Ask, p: Photo, signal: AbortSignal): Promise<ReadAheadRun> {
  const t = performance.now();
  const prepared = await engine.prepare({ imageId: 'bench-read-ahead', image: p.image, boxes: p.boxes }, signal);
  const prepare = { ...prepared.timings, totalMs: performance.now() - t, prefixTokens: prepared.prefixTokens };
  const question = await ask('bench-read-ahead', QUESTION);
  const { width, height } = p.image.kind === 'rgba' ? p.image : { width: 640, height: 480 };
  const drawn = [...p.boxes, { x1: width * 0.1, y1: height * 0.1, x2: width * 0.45, y2: height * 0.5 }];
  const drawnBox = await ask('bench-read-ahead', QUESTION, { image: p.image, boxes: drawn, region: drawn.length - 1 });
  log(`read ahead in ${Math.round(prepare.totalMs)} ms (${prepare.prefixTokens} prompt positions), then first ttft ${Math.round(question.timings.ttftMs)} ms; a drawn box: ttft ${Math.round(drawnBox.timings.ttftMs)} ms`);
  return { prepare, question: question.timings, drawnBox: drawnBox.timings };
}

/** The question on box 0 of the photo's image id; `on`: another image and its boxes, at a detail level. */
type Ask = (imageId: string, text: string, on?: { image: ImageInput; boxes: PixelBox[]; detail?: DetailLevel; region?: number }) => Promise<Answer>;

const LEVEL_ORDER: readonly DetailLevel[] = ['low', 'medium', 'reference'];

/** The phone photo, portrait by its EXIF tag, asked at each level (lowest first); a level that fails is a figure too. */
async function askPhone(ask: Ask, args: AnswerArgs, rt: Runtime): Promise<NonNullable<AnswerRun['phonePhoto']>> {
  const { imageInputFromFile } = await import('../src/engine/node.ts');
  const image = await imageInputFromFile(new Uint8Array(await phonePhotoJpeg(6)));
  const { width, height } = image.kind === 'rgba' ? image : { width: 0, height: 0 };
  const boxes = spreadBoxes(args.boxes, width, height);
  const levels: PhoneLevelRun[] = [];
  for (const level of LEVEL_ORDER.filter((l) => args.phoneLevels.includes(l))) {
    try {
      const a = await ask(`phone-${level}`, QUESTION, { image, boxes, detail: level });
      levels.push({ level, answered: true, imageTokens: a.imageTokens, timings: a.timings, peakWasmBytes: rt.wasmMemoryBytes() });
      log(`phone photo at ${level}: ${a.imageTokens} image tokens, first ttft ${Math.round(a.timings.ttftMs)} ms`);
    } catch (e) {
      levels.push({ level, answered: false, error: (e as Error).message.split('\n')[0], peakWasmBytes: rt.wasmMemoryBytes() });
      log(`phone photo at ${level}: ${levels.at(-1)!.error}`);
    }
  }
  return { photo: `${PHONE_SOURCE} upscaled to ${PHONE_SIZE.width}×${PHONE_SIZE.height}, EXIF orientation 6 (shown ${width}×${height})`, levels };
}

/** A deterministic RGBA test card (gradients and blocks), so the vision encoders see structure, not noise. */
function testCard(width: number, height: number): ImageInput {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = ((x >> 5) + (y >> 5)) & 1 ? 200 : 40;
      data[i + 3] = 255;
    }
  return { kind: 'rgba', width, height, data };
}
