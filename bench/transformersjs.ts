// Figure 2 (issue 5): the peer. @huggingface/transformers' own Qwen2.5-VL generation — its model class, its
// embed → decoder loop, its DynamicCache, its greedy sampler — drives OUR converted embed_tokens and
// decoder_model_merged files; the engine's decode path (src/engine/decode: its decoder + generate) drives the
// same files. On wasm the engine's decoder is the product's choice (createDecoder: the int4 kernels for a q4
// graph), not ORT-web's session; on native (which the product never runs) it is an ORT-node session run by
// runDecoder, so there the two sides differ only in the code around the same sessions.
//
// A round: one text-only prompt of exactly `context` token ids (prefill), then exactly `newTokens` greedy
// tokens (transformers.js: min_new_tokens = max_new_tokens; the engine: no stop ids). Each token is
// timestamped as it is handed out (transformers.js: its streamer; the engine: generate's onToken), so
//   decode tokens/s = (newTokens − 1) / (time of the last token − time of the first),
// the first token's time from the call is the prefill (time to first token).
//
// transformers.js reads a Hugging Face folder, not our model.json: bench/transformersjs-folder.ts makes one.
// Qwen2_5_VLForCausalLM is the class transformers.js provides for a Qwen2.5-VL folder whose
// config names Qwen2_5_VLForConditionalGeneration: the same class code (Qwen2VLForConditionalGeneration's
// prepare_inputs_for_generation, image_text_to_text_forward, generate) with only embed_tokens and
// decoder_model_merged loaded — our folder has no Qwen vision_encoder graph, and a text-only prompt never
// runs one.

import { basename, join } from 'node:path';
import { generate } from '../src/engine/decode/generate.ts';
import { createDecoder } from '../src/engine/decode/create-decoder.ts';
import { runDecoder, type Decoder, type DecoderSession } from '../src/engine/decode/decoder-run.ts';
import { Int4Decoder } from '../src/engine/decode/int4/int4-decoder.ts';
import { FreshKvStore, KvCache } from '../src/engine/decode/kv-cache.ts';
import type { Ort, OrtSession } from '../src/engine/session.ts';
import { int4KernelsName, readDecoderGraph } from './decoder-bench.ts';
import type { RtSession, Runtime } from './runtime.ts';
import { summarize, type Summary } from './stats.ts';
import { readOurFolder, transformersJsFolder, type OurFolder, type TextConfig } from './transformersjs-folder.ts';
import { mulberry32 } from '../fixtures/random.ts';

export interface PeerArgs {
  /** Our model folder (model.json + onnx/). */
  folder: string;
  dtype: 'q4';
  /** Prompt length in tokens. */
  context: number;
  /** Tokens generated per round (≥ 2: decode speed needs two timestamps). */
  newTokens: number;
  rounds: number;
  warmupRounds: number;
  /** Where transformers.js' layout of `folder` goes (default: the bench cache). */
  layoutDir?: string;
}

export type PeerSide = 'transformers.js' | 'engine';

export interface PeerRun {
  side: PeerSide;
  /** Which ONNX Runtime ran the sessions, with its execution provider and thread count. */
  runtime: string;
  version: string;
  /** What ran decoder_model_merged, and why. */
  decoder: PeerDecoder;
  context: number;
  newTokens: number;
  loadMs: number;
  /** Time to first token: embedding + prefill of `context` tokens + the first pick. */
  prefillMs: Summary;
  decodeTokensPerSecond: Summary;
  /**
   * Of each decode step, the time inside the decoder: an ONNX Runtime session's run, or the engine's
   * Decoder.decode where the decoder is not a session (the int4 kernels). The rest is the loop's own work.
   */
  decoderRunMs: Summary;
  /** The samples behind the three summaries: per round (prefill, decode), per decode step (decoder run). */
  samples: PeerSamples;
  /** The greedy tokens of the first measured round (both sides should agree on the first one at least). */
  ids: number[];
  /** transformers.js only: the decoder inputs it fed on its first decode step, and their position ids. */
  decodeStepFeeds?: string[];
  decodeStepPositionIds?: number[];
}

export interface PeerDecoder {
  /** `onnxruntime session`, or the int4 kernels' build (`fo1-web int4 kernels, wasm relaxed SIMD`). */
  kind: string;
  /** Why: on the engine's wasm side createDecoder's report (the product's own words for its choice). */
  reason: string;
}

export interface PeerSamples {
  prefillMs: number[];
  decodeTokensPerSecond: number[];
  decoderRunMs: number[];
}

/** What one round hands back: ms from the call to each token. */
type Round = { tokenMs: number[]; ids: number[] };

type RunFn = (feeds: Record<string, { dims: readonly number[]; data: unknown }>, ...rest: never[]) => Promise<unknown>;

/** ms per decode step, collected until cleared. */
interface Probe {
  steps: number[];
}

/**
 * Wraps a decoder session's run to time its single-token (decode) runs and to keep the first one's feeds;
 * `steps` collects ms per run until cleared.
 */
function instrument(session: { run: RunFn }): Probe & { firstStep?: Record<string, { dims: readonly number[]; data: unknown }> } {
  const probe: ReturnType<typeof instrument> = { steps: [] };
  const run = session.run.bind(session);
  session.run = async (feeds, ...rest) => {
    if (feeds.inputs_embeds?.dims[1] !== 1) return run(feeds, ...rest);
    probe.firstStep ??= feeds;
    const t = performance.now();
    const out = await run(feeds, ...rest);
    probe.steps.push(performance.now() - t);
    return out;
  };
  return probe;
}

/** Wraps a Decoder's decode as instrument wraps a session's run: times its single-position (decode) calls. */
function instrumentDecoder(decoder: Decoder): Probe {
  const probe: Probe = { steps: [] };
  const decode = decoder.decode.bind(decoder);
  decoder.decode = async (embeds, positions, cache) => {
    if (positions.length !== 3) return decode(embeds, positions, cache);
    const t = performance.now();
    const out = await decode(embeds, positions, cache);
    probe.steps.push(performance.now() - t);
    return out;
  };
  return probe;
}

/** A prompt of `n` ordinary (non-special) token ids, the same on both sides; weights are random, so only the length matters. */
export function promptIds(n: number): number[] {
  const next = mulberry32(12345);
  return Array.from({ length: n }, () => 200 + Math.floor(next() * 100_000));
}

// ---------------------------------------------------------------------------------------------------------
// Rounds and their figures, shared by both sides.

async function timeRounds(round: () => Promise<Round>, args: PeerArgs, probe: Probe, log: (m: string) => void): Promise<Round[]> {
  for (let i = 0; i < args.warmupRounds; i++) await round();
  probe.steps.length = 0;
  const rounds: Round[] = [];
  for (let i = 0; i < args.rounds; i++) {
    const r = await round();
    if (r.tokenMs.length !== args.newTokens) throw new Error(`round ${i + 1}: ${r.tokenMs.length} tokens came back, expected exactly ${args.newTokens}`);
    const last = r.tokenMs.length - 1;
    log(`round ${i + 1}: first token ${r.tokenMs[0].toFixed(0)} ms, then ${((last * 1000) / (r.tokenMs[last] - r.tokenMs[0])).toFixed(2)} tokens/s`);
    rounds.push(r);
  }
  return rounds;
}

type Figures = Pick<PeerRun, 'prefillMs' | 'decodeTokensPerSecond' | 'decoderRunMs' | 'samples'>;

function summaries(samples: PeerSamples): Figures {
  return { prefillMs: summarize(samples.prefillMs), decodeTokensPerSecond: summarize(samples.decodeTokensPerSecond), decoderRunMs: summarize(samples.decoderRunMs), samples };
}

function figures(rounds: Round[], probe: Probe): Figures & Pick<PeerRun, 'ids'> {
  const steps = rounds[0].tokenMs.length - 1;
  return {
    ...summaries({
      prefillMs: rounds.map((r) => r.tokenMs[0]),
      decodeTokensPerSecond: rounds.map((r) => (steps * 1000) / (r.tokenMs[steps] - r.tokenMs[0])),
      decoderRunMs: [...probe.steps],
    }),
    ids: rounds[0].ids,
  };
}

/**
 * Several runs of one side (separate processes, alternated with the other side's so both see the same drift
 * of a shared machine's load) as one: their samples pooled and summarized again; load and ids from the first.
 */
export function mergePeerRuns<T extends PeerRun>(runs: readonly T[]): T {
  if (runs.length === 0) throw new Error('mergePeerRuns: no runs');
  const pooled = (k: keyof PeerSamples) => runs.flatMap((r) => r.samples[k]);
  return { ...runs[0], ...summaries({ prefillMs: pooled('prefillMs'), decodeTokensPerSecond: pooled('decodeTokensPerSecond'), decoderRunMs: pooled('decoderRunMs') }) };
}

function checkArgs(args: PeerArgs): void {
  if (!(Number.isInteger(args.context) && args.context >= 1)) throw new Error(`context must be a positive integer (got ${args.context})`);
  if (!(Number.isInteger(args.newTokens) && args.newTokens >= 2)) throw new Error(`newTokens must be an integer ≥ 2 (got ${args.newTokens})`);
  if (!(Number.isInteger(args.rounds) && args.rounds >= 1)) throw new Error(`rounds must be a positive integer (got ${args.rounds})`);
}

/** PeerDecoder.kind of an ONNX Runtime session. */
const SESSION = 'onnxruntime session';

function runtimeName(rt: Runtime): string {
  return rt.spec.runtime === 'wasm' ? `ORT-web ${rt.version} wasm ×${rt.spec.threads}` : `ORT-node ${rt.version} native CPU ×${rt.spec.threads}`;
}

// ---------------------------------------------------------------------------------------------------------
// The peer: transformers.js generate.

/** The part of a transformers.js model this bench touches. */
interface TjsModel {
  sessions: Record<string, { run: RunFn }>;
  generate(options: Record<string, unknown>): Promise<unknown>;
  dispose(): Promise<unknown>;
}

/**
 * transformers.js in Node picks onnxruntime-node. It takes another ONNX Runtime only from
 * globalThis[Symbol.for('onnxruntime')], read once when its module is evaluated (backends/onnx.js) — and this
 * process already loaded it (the engine's tokenizer imports it) — so for onnxruntime-web a second instance
 * of its Node build is evaluated after setting the symbol (a distinct module URL is a distinct instance).
 * That instance points ORT-web's wasmPaths at a CDN, which this offline machine cannot reach: the local
 * default is restored.
 */
async function importTransformers(rt: Runtime): Promise<typeof import('@huggingface/transformers')> {
  if (rt.spec.runtime !== 'wasm') return withLocalFiles(await import('@huggingface/transformers'));
  const ortWeb = await import('onnxruntime-web');
  (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ortWeb;
  const build = new URL('../node_modules/@huggingface/transformers/dist/transformers.node.mjs?ort=web', import.meta.url).href;
  const tjs = (await import(build)) as typeof import('@huggingface/transformers');
  ortWeb.env.wasm.wasmPaths = undefined;
  return withLocalFiles(tjs);
}

function withLocalFiles(tjs: typeof import('@huggingface/transformers')) {
  tjs.env.allowRemoteModels = false;
  tjs.env.useFSCache = false;
  return tjs;
}

export async function measurePeer(rt: Runtime, args: PeerArgs, log: (m: string) => void): Promise<PeerRun> {
  checkArgs(args);
  const tjs = await importTransformers(rt);
  const dir = await transformersJsFolder(args.folder, args.dtype, args.layoutDir);
  const ours = await readOurFolder(args.folder, args.dtype);
  const wasm = rt.spec.runtime === 'wasm';
  // Native: transformers.js passes the .onnx path and ORT-node finds the data files beside it. wasm: ORT-web
  // reads nothing from disk, so every data file goes in as session_options.externalData, which transformers.js
  // loads (relative to the folder) and hands to each session; a session ignores files its graph does not name.
  const dataFiles = [...new Set(Object.values(ours.graphs).flatMap((g) => g.externalData.map((f) => f.path)))];
  const session_options = wasm
    ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all', externalData: dataFiles.map((f) => ({ path: basename(f), data: f })) }
    : { intraOpNumThreads: rt.spec.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const t0 = performance.now();
  const model = (await tjs.Qwen2_5_VLForCausalLM.from_pretrained(dir, {
    dtype: args.dtype,
    // 'auto' with the providers given: under an injected ORT, transformers.js knows no device names
    device: wasm ? 'auto' : 'cpu',
    session_options,
  } as never)) as unknown as TjsModel;
  const loadMs = performance.now() - t0;
  log(`transformers.js ${tjs.env.version}: loaded in ${loadMs.toFixed(0)} ms on ${runtimeName(rt)}`);

  // Times the decoder's decode runs, and keeps what the generation loop feeds it (checked against our I/O).
  const probe = instrument(model.sessions.decoder_model_merged);

  const prompt = BigInt64Array.from(promptIds(args.context), BigInt);
  const round = async (): Promise<Round> => {
    const tokenMs: number[] = [];
    const ids: number[] = [];
    let start = 0;
    let promptSeen = false;
    // generate() puts the prompt first, then each new token as it is picked.
    const streamer = {
      put(value: bigint[][]) {
        if (!promptSeen) return void (promptSeen = true);
        tokenMs.push(performance.now() - start);
        ids.push(Number(value[0][0]));
      },
      end() {},
    };
    start = performance.now();
    await model.generate({
      input_ids: new tjs.Tensor('int64', prompt, [1, args.context]),
      attention_mask: new tjs.Tensor('int64', new BigInt64Array(args.context).fill(1n), [1, args.context]),
      max_new_tokens: args.newTokens,
      min_new_tokens: args.newTokens,
      do_sample: false,
      streamer,
    });
    return { tokenMs, ids };
  };
  const rounds = await timeRounds(round, args, probe, log);
  await model.dispose();
  const first = probe.firstStep;
  return {
    side: 'transformers.js',
    runtime: runtimeName(rt),
    version: rt.version,
    context: args.context,
    newTokens: args.newTokens,
    loadMs: Math.round(loadMs),
    decoder: { kind: SESSION, reason: "transformers.js' own session of decoder_model_merged" },
    ...figures(rounds, probe),
    decodeStepFeeds: first && Object.keys(first).filter((k) => !k.startsWith('past_key_values.')),
    decodeStepPositionIds: first && Array.from(first.position_ids.data as BigInt64Array, Number),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Ours: the engine's decode path (src/engine/model.ts embedText/decode, engine.ts's generation step) on the
// same two graphs. Fo1Model itself needs all six graphs, so its two one-line passes are restated here: the
// embedding through the runtime's session, the decoder through a Decoder.

/** The decoder of one engine run, with what times its decode steps. */
interface EngineDecoder {
  decoder: Decoder;
  probe: Probe;
  info: PeerDecoder;
}

/**
 * wasm: the product's decoder, chosen and built by createDecoder exactly as Fo1Model does (the int4 kernels for
 * a q4 graph where they run, else ORT-web's session), from the graph bytes model.json names, with the kernel
 * threads of this runtime.
 */
async function productDecoder(ort: Ort, folder: string, graph: OurFolder['graphs']['decoder_model_merged'], threads: number): Promise<EngineDecoder> {
  const { cfg, bytes } = await readDecoderGraph(join(folder, graph.graph.path));
  const { decoder, report } = await createDecoder(ort, cfg, bytes, { backend: 'wasm', reason: 'wasm, as the engine runs where there is no WebGPU', threads }, () => {});
  const kind = decoder instanceof Int4Decoder ? int4KernelsName(decoder.isa) : SESSION;
  return { decoder, probe: instrumentDecoder(decoder), info: { kind, reason: report.reason } };
}

/** native: an ORT-node session run by runDecoder, the same session type transformers.js runs (the product never runs native). */
async function sessionDecoder(rt: Runtime, ort: Ort, folder: string, graph: OurFolder['graphs']['decoder_model_merged'], text: TextConfig): Promise<EngineDecoder> {
  const session = await rt.load(join(folder, graph.graph.path), graph.externalData.map((f) => join(folder, f.path)));
  const probe = instrument(session as unknown as { run: RunFn });
  const d: DecoderSession = { ort, session: session as unknown as OrtSession, hiddenSize: text.hiddenSize, maxRun: Infinity };
  const decoder: Decoder = {
    decode: (embeds, positions, cache) => runDecoder(d, embeds, positions, cache),
    emptyCache: () => KvCache.empty(FreshKvStore.empty(text.numLayers, () => new ort.Tensor('float32', new Float32Array(0), [1, text.numKvHeads, 0, text.headDim]))),
    capacity: Infinity, // ORT allocates every run's presents
    release: () => session.release(),
  };
  return { decoder, probe, info: { kind: SESSION, reason: `an ${runtimeName(rt)} session run by runDecoder, the session type transformers.js runs here (the product never runs native)` } };
}

export async function measureEngine(rt: Runtime, args: PeerArgs, log: (m: string) => void): Promise<PeerRun> {
  checkArgs(args);
  const ours = await readOurFolder(args.folder, args.dtype);
  // onnxruntime-node's Tensor/InferenceSession have onnxruntime-web's API, which is all runDecoder uses.
  const ort = (rt.spec.runtime === 'wasm' ? await import('onnxruntime-web') : await import('onnxruntime-node')) as unknown as Ort;
  const e = ours.graphs.embed_tokens;
  const t0 = performance.now();
  const embed: RtSession = await rt.load(join(args.folder, e.graph.path), e.externalData.map((f) => join(args.folder, f.path)));
  const graph = ours.graphs.decoder_model_merged;
  const { decoder, probe, info } = rt.spec.runtime === 'wasm' ? await productDecoder(ort, args.folder, graph, rt.spec.threads) : await sessionDecoder(rt, ort, args.folder, graph, ours.text);
  const loadMs = performance.now() - t0;
  log(`engine decode path: loaded in ${loadMs.toFixed(0)} ms on ${runtimeName(rt)}; decoder: ${info.kind} (${info.reason})`);
  const embedText = async (ids: number[]) => {
    const out = await embed.run({ input_ids: rt.tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
    return out.inputs_embeds.data as Float32Array;
  };
  const prompt = promptIds(args.context);
  // Text only: M-RoPE ids are the plain positions on all three axes (rope delta 0).
  const positions = Int32Array.from({ length: 3 * args.context }, (_, i) => i % args.context);

  const round = async (): Promise<Round> => {
    const tokenMs: number[] = [];
    const ids: number[] = [];
    const start = performance.now();
    const first = await decoder.decode(await embedText(prompt), positions, decoder.emptyCache());
    await generate(
      first,
      null,
      { maxNewTokens: args.newTokens, stopIds: new Set(), seed: 0, contextTokens: decoder.capacity },
      async (token, cache) => decoder.decode(await embedText([token]), Int32Array.of(cache.length, cache.length, cache.length), cache),
      (id) => {
        tokenMs.push(performance.now() - start);
        ids.push(id);
      },
      new AbortController().signal,
    );
    return { tokenMs, ids };
  };
  const rounds = await timeRounds(round, args, probe, log);
  await Promise.all([embed.release(), decoder.release()]);
  return { side: 'engine', runtime: runtimeName(rt), version: rt.version, decoder: info, context: args.context, newTokens: args.newTokens, loadMs: Math.round(loadMs), ...figures(rounds, probe) };
}
