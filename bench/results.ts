// The schema of bench/results.json (issue 5's fixed keys for the goal checks, merged with keys other scripts
// write, e.g. bench/convert.ts's "convert") and the goal ratios derived from it. results-file.ts reads and
// writes the file, results-markdown.ts renders the same figures for people as bench/RESULTS.md.

import type { DecodeFigure, DecoderShape, PrefillFigure } from './decoder-bench.ts';
import type { FormatTiming } from './matmul-formats.ts';
import type { MachineInfo } from './machine.ts';
import type { RuntimeSpec } from './runtime.ts';
import type { AnswerFailure, AnswerRun } from './answer-bench.ts';
import type { BrowserRun } from './browser-bench.ts';
import type { KvContextRun } from './kv-context.ts';
import type { PhotoSetRun, ProposalsRun } from './proposals-bench.ts';
import type { BrowserConvertRun } from './browser-convert.ts';
import type { VisionFigure } from './vision-bench.ts';
import type { PeerRun } from './transformersjs.ts';
import { round, type Summary } from './stats.ts';

export interface DecoderRun {
  version: string;
  /** int4 runs: which build of the kernels ran (src/engine/decode/int4/kernels.ts KernelIsa). */
  isa?: string;
  /** runtime 'int4': the engine's own wasm kernels (src/engine/decode/int4), not an ORT session. */
  spec: { runtime: RuntimeSpec['runtime'] | 'int4'; threads: number };
  /** Bytes of the .onnx and its data (ORT runs); the int4 run reports its kernel memory instead. */
  fileBytes?: number;
  kernelMemoryBytes?: number;
  loadMs: number;
  heapAfterLoad?: number;
  peakWasmBytes?: number;
  peakRssBytes: number;
  decode: DecodeFigure[];
  prefill: PrefillFigure[];
}

/** Figure 4 for one preset, dtype and runtime: the merged figures of its parts (each part one child process). */
export interface VisionRecord {
  preset: string;
  dtype: string;
  runtime: string;
  version: string;
  loadMs: Record<string, number>;
  figures: VisionFigure[];
  peakWasmBytes?: number;
  peakRssBytes?: number;
  /** Parts that did not finish (heap limit, time limit), with why. */
  errors: string[];
  /** Per part, the 1-minute load average at its start and end (the machine is shared). */
  loadAverage?: Record<string, number[]>;
}

export type AnswerRecord = AnswerRun | AnswerFailure;

/** One side of figure 2 as its child process returned it. */
export type PeerSideRun = PeerRun & {
  /** A child's 1-minute load average at its start and end; merged: each child's pair, in run order. */
  loadAverage?: number[] | number[][];
  peakRssBytes?: number;
  peakWasmBytes?: number;
};

/**
 * Figure 2 on one model folder and runtime: transformers.js' generation and the engine's on the same files (on
 * wasm the engine's decoder is the product's, its int4 kernels; the full model there has the engine side only).
 */
export interface PeerRecord {
  preset: string;
  dtype: string;
  /** `native:2`, `wasm:2`: the sides ran on this runtime and thread count. */
  runtime: string;
  context: number;
  newTokens: number;
  transformersjs?: PeerSideRun;
  engine?: PeerSideRun;
  /** Sides not measured, with why. */
  errors: string[];
}

export interface Results {
  machine?: MachineInfo;
  bandwidth?: { streamingReadBytesPerSecond: Summary };
  formats?: Record<string, { version: string; timings: FormatTiming[]; peakWasmBytes?: number }>;
  /** int4: the kernels' build the engine picks; int4Simd: the plain-SIMD build (browsers without relaxed SIMD). */
  decoder?: {
    dtype: string;
    graph: string;
    shape?: DecoderShape;
    native?: DecoderRun;
    wasm?: DecoderRun;
    wasmError?: string;
    int4?: DecoderRun;
    int4Error?: string;
    int4Simd?: DecoderRun;
    int4SimdError?: string;
  };
  vision?: Record<string, VisionRecord>;
  answers?: Record<string, AnswerRecord>;
  kv_context?: KvContextRun & { version: string; threads: number; peakWasmBytes?: number; peakRssBytes?: number; loadAverage?: number[] };
  browser?: BrowserRun;
  peer?: Record<string, PeerRecord>;
  ratios?: Record<string, number | null>;
  full_q4_wasm?: {
    answered: boolean;
    peak_wasm_bytes: number | null;
    note: string;
    /** Issue 12: the phone photo at the wasm default detail level (src/engine/preprocess/detail.ts). */
    large_photo?: { level: string; image_tokens: number | null; ttft_ms: number | null; peak_bytes: number | null; answered: boolean };
    /** The photo read ahead (Engine.prepare) while the person picks a box and types, then what they wait for (bench/answer-bench.ts). */
    read_ahead?: { prepare_ms: number; first_ttft_ms: number; drawn_box_ttft_ms: number };
  };
  /** Box proposals' recall and time (bench/proposals-bench.ts). */
  proposals?: ProposalsRun;
  /** Issue 11 (bench/browser-convert.ts). */
  browser_convert?: BrowserConvertRun;
  [other: string]: unknown;
}

/** The goals' summary of the full q4 answer on wasm as the product runs it (`level`: the wasm default detail level). */
export function fullQ4Wasm(rec: AnswerRecord, threads: number, level: string): NonNullable<Results['full_q4_wasm']> {
  if (!('summary' in rec)) {
    const loaded = rec.loadMs === undefined ? '' : ` — the model loaded (${(rec.loadMs / 1000).toFixed(0)} s, with its load warm-up) and the first question failed after ${((rec.failedAfterMs ?? 0) / 1000).toFixed(0)} s`;
    return { answered: false, peak_wasm_bytes: rec.peakWasmBytes ?? null, note: `The engine (src/engine/node.ts, wasm ×${threads}: ORT-web for vision, int4 kernels for the decoder) did not answer: ${rec.error.split('\n')[0]}${loaded}. The peak is the larger of its wasm memories (the wasm32 maximum is 4.29 GB).` };
  }
  const phone = rec.phonePhoto?.levels.find((l) => l.level === level);
  return {
    answered: rec.answered,
    peak_wasm_bytes: rec.peakWasmBytes ?? null,
    note: `Engine (src/engine/node.ts) on wasm ×${threads} — vision graphs in ORT-web (their int4 Linears as int8), the q4 decoder on the int4 kernels, each in its own wasm memory: ${rec.photo}, ${rec.boxes} boxes, a short question, ${rec.maxNewTokens} new tokens, then a follow-up. The peak is the larger of the two memories (each has the wasm32 limit of 4.29 GB).`,
    ...(rec.readAhead ? { read_ahead: { prepare_ms: Math.round(rec.readAhead.prepare.totalMs), first_ttft_ms: Math.round(rec.readAhead.question.ttftMs), drawn_box_ttft_ms: Math.round(rec.readAhead.drawnBox.ttftMs) } } : {}),
    ...(phone ? { large_photo: { level: phone.level, image_tokens: phone.imageTokens ?? null, ttft_ms: phone.timings ? Math.round(phone.timings.ttftMs) : null, peak_bytes: phone.peakWasmBytes ?? null, answered: phone.answered } } : {}),
  };
}

/** bench/convert.ts's record (key "convert"): the full preset converted to q4. */
export interface ConvertRun {
  wallSeconds: number;
  readMBps: number;
  peakRssBytes: number;
  q4FolderBytes: number;
  blockSize: number;
  files: Record<string, number>;
  goals: { wallSeconds: number; peakRssBytes: number; q4FolderBytes: number };
  loadAverage?: number[];
  note?: string;
}

const at = (run: DecoderRun | undefined, context: number) => run?.decode.find((d) => d.context === context)?.tokensPerSecond.median;

/** a ÷ b; null when either is missing or b ≤ 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  // 4 significant digits: a goal is checked against these (1.495 must not print as 1.5)
  return a !== undefined && b !== undefined && b > 0 ? round(a / b, 4) : null;
}

/** The goal figures (issue 5). Decode comparisons at 2048 context, the size of a typical image prompt. */
export function deriveRatios(r: Results): Record<string, number | null> {
  const d = r.decoder;
  return {
    // The app's wasm decoder is the int4 kernels; ORT-web's own wasm session is kept as the baseline.
    wasm_vs_native_decode: ratio(at(d?.int4, 2048), at(d?.native, 2048)),
    decode_4096_vs_512: ratio(at(d?.int4, 4096), at(d?.int4, 512)),
    ortweb_wasm_vs_native_decode: ratio(at(d?.wasm, 2048), at(d?.native, 2048)),
    ortweb_decode_4096_vs_512: ratio(at(d?.wasm, 4096), at(d?.wasm, 512)),
    native_decode_4096_vs_512: ratio(at(d?.native, 4096), at(d?.native, 512)),
    int4_simd_vs_native_decode: ratio(at(d?.int4Simd, 2048), at(d?.native, 2048)),
    vs_transformersjs_decode_2048: peerRatio(peerGoal(r.peer)),
    vs_transformersjs_decode_2048_same_runtime: peerRatio(sameRuntimePair(r.peer)),
    decode_4096_vs_512_kv_context: kvContextRatio(r.kv_context),
    followup_ttft_vs_first_tiny: followUpRatio(r.answers, 'tiny'),
    followup_ttft_vs_first_full: followUpRatio(r.answers, 'full'),
    first_ttft_wasm_vs_native: firstTtftWasmVsNative(r.answers),
    browser_convert_vs_cli: ratio(r.browser_convert?.browser.MBps, r.browser_convert?.cli.MBps),
  };
}

/** Two decode figures of figure 2 that a goal ratio divides (engine ÷ transformers.js), and how they were picked. */
export interface PeerPair {
  engine: PeerSideRun;
  transformersjs: PeerSideRun;
  /**
   * 'product': the engine on wasm, its product runtime (the decoder createDecoder picks: the int4 kernels),
   * against transformers.js' fastest measured run; 'same runtime': both sides on one runtime and session type.
   */
  basis: 'product' | 'same runtime';
}

/** Figure 2's full-model records at 2048 context, the size the goal is stated at. */
function fullAt2048(peer: Results['peer']): PeerRecord[] {
  return Object.values(peer ?? {}).filter((p) => p.preset === 'full' && p.context === 2048);
}

/**
 * The goal "≥ 1.5 × the transformers.js peer's decode tokens/s at 2048": the engine's full-model decode on wasm
 * ÷ transformers.js' best full-model decode on any runtime measured (native ORT-node in practice: a runtime
 * browsers do not have, so the peer's most favourable case). Without the engine's wasm figure: the
 * same-runtime pair.
 */
export function peerGoal(peer: Results['peer']): PeerPair | undefined {
  const full = fullAt2048(peer);
  const engine = full.find((p) => p.runtime.startsWith('wasm'))?.engine;
  const fastest = full
    .flatMap((p) => p.transformersjs ?? [])
    .sort((a, b) => b.decodeTokensPerSecond.median - a.decodeTokensPerSecond.median)[0];
  return engine && fastest ? { engine, transformersjs: fastest, basis: 'product' } : sameRuntimePair(peer);
}

/** Both sides of one full-model record at 2048, native first (there the engine runs the same session type). */
export function sameRuntimePair(peer: Results['peer']): PeerPair | undefined {
  const both = fullAt2048(peer).filter((p) => p.engine && p.transformersjs);
  const p = both.find((x) => x.runtime.startsWith('native')) ?? both[0];
  return p && { engine: p.engine!, transformersjs: p.transformersjs!, basis: 'same runtime' };
}

/** Engine decode tokens/s ÷ transformers.js', medians. */
function peerRatio(p: PeerPair | undefined): number | null {
  return ratio(p?.engine.decodeTokensPerSecond.median, p?.transformersjs.decodeTokensPerSecond.median);
}

/** Decode tokens/s at 4096 ÷ at 512 of the engine's wasm KV path on the few-layer decoder (bench/kv-context.ts). */
function kvContextRatio(kv: Results['kv_context']): number | null {
  return ratio(kv?.msPerStep[512]?.engine.median, kv?.msPerStep[4096]?.engine.median);
}

/**
 * A preset's q4 engine answer as the product runs it: on wasm with its encoders' Linears as int8
 * (LoadOptions.wasmEncoderInt8's default; older records without `encoders` ran int4); on native, the one record.
 */
function q4Answer(answers: Results['answers'], preset: string, runtime: 'wasm' | 'native' = 'wasm'): AnswerRun | undefined {
  const runs = Object.values(answers ?? {}).filter((x): x is AnswerRun => 'summary' in x && x.preset === preset && x.dtype === 'q4');
  return runs.find((x) => (x.runtime ?? 'wasm').startsWith(runtime) && (runtime === 'native' || x.encoders === 'int8'));
}

/** Median follow-up TTFT ÷ median first TTFT of a preset's q4 engine answer on wasm (issue 3 goal ≤ 0.1). */
function followUpRatio(answers: Results['answers'], preset: string): number | null {
  return q4Answer(answers, preset)?.followUpVsFirst ?? null;
}

/**
 * Issue 12: the full model's first TTFT on wasm ÷ the same engine and graphs on onnxruntime-node's CPU provider
 * with the same threads (`npm run bench -- answer --presets full --answer-runtimes wasm,native`), medians.
 */
function firstTtftWasmVsNative(answers: Results['answers']): number | null {
  const wasm = q4Answer(answers, 'full'), native = q4Answer(answers, 'full', 'native');
  if (!wasm || !native || (wasm.runtime ?? '').split(':')[1] !== native.runtime?.split(':')[1]) return null;
  return ratio(wasm.summary.firstTtftMs.median, native.summary.firstTtftMs.median);
}

/**
 * KV bytes one decode step reads at `context`, every layer: ORT's cache is fp32 keys and values; the int4
 * kernels' is int8 codes plus a float scale per 32 key dims and one per value row (src/engine/decode/int4/kv-cache.as.ts).
 */
export function kvBytes(shape: DecoderShape, context: number, format: 'fp32' | 'int8' = 'fp32'): number {
  const perHead = format === 'fp32' ? 2 * shape.headDim * 4 : 2 * shape.headDim + (Math.ceil(shape.headDim / 32) + 1) * 4;
  return shape.layers * shape.kvHeads * perHead * context;
}
