// Decode and prefill speed of one decoder_model_merged file on one runtime, driven exactly as the engine drives
// it (src/engine/decode/kv-cache.ts): every step feeds the previous step's present.* back as past_key_values.
//
// Decode at context C: the cache starts at length C (random keys/values — speed does not depend on them, and a
// real C-token prefill would cost minutes on wasm), then warm-up + `runs` single-token steps, each one longer.
// Prefill of S tokens: one run from an empty cache with num_logits_to_keep = 1, as the engine's prefill.

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RtSession, RtTensor, Runtime } from './runtime.ts';
import { mapSummary, summarize, timeRuns, type Summary } from './stats.ts';
import type { KvCache } from '../src/engine/decode/kv-cache.ts';
import { Int4Decoder } from '../src/engine/decode/int4/int4-decoder.ts';
import { KERNEL_ISA_LABEL, type KernelIsa } from '../src/engine/decode/int4/kernels.ts';
import { externalDataLocations } from '../src/engine/load/onnx-initializers.ts';
import { parseManifestText } from '../src/engine/load/load-model.ts';
import type { GraphBytes } from '../src/engine/session.ts';
import type { TextConfig } from '../src/model-folder/config.ts';
import { uniformFloats } from '../fixtures/random.ts';

export interface DecoderShape {
  layers: number;
  hidden: number;
  kvHeads: number;
  headDim: number;
}

export interface DecoderFiles {
  graph: string;
  externalData: string[];
  bytes: number;
}

export interface DecodeFigure {
  context: number;
  msPerToken: Summary;
  tokensPerSecond: Summary;
}

export interface PrefillFigure {
  tokens: number;
  ms: Summary;
  tokensPerSecond: Summary;
}

/** The graph and its `<graph>_data*` chunks. */
export async function decoderFiles(graph: string): Promise<DecoderFiles> {
  const names = (await readdir(dirname(graph))).filter((f) => f.startsWith(`${basename(graph)}_data`)).sort();
  const externalData = names.map((f) => join(dirname(graph), f));
  const sizes = await Promise.all([graph, ...externalData].map((f) => stat(f).then((s) => s.size)));
  return { graph, externalData, bytes: sizes.reduce((a, b) => a + b, 0) };
}

class DecoderDriver {
  constructor(private readonly rt: Runtime, private readonly session: RtSession, private readonly shape: DecoderShape) {}

  /** A cache of `length` positions: past_key_values.{i}.{key,value} (1, kvh, length, hd). */
  cache(length: number): Record<string, RtTensor> {
    const { layers, kvHeads, headDim } = this.shape;
    const block = uniformFloats(kvHeads * length * headDim, length + 1); // shared contents; the runtime copies feeds
    const out: Record<string, RtTensor> = {};
    for (let i = 0; i < layers; i++)
      for (const kind of ['key', 'value']) out[`past_key_values.${i}.${kind}`] = this.rt.tensor('float32', block, [1, kvHeads, length, headDim]);
    return out;
  }

  /** One run of S new tokens on top of `past` (length P); returns the present.* cache (length P + S). */
  async step(past: Record<string, RtTensor>, P: number, S: number): Promise<Record<string, RtTensor>> {
    const { rt, shape } = this;
    const positions = new BigInt64Array(3 * S);
    for (let a = 0; a < 3; a++) for (let s = 0; s < S; s++) positions[a * S + s] = BigInt(P + s);
    const feeds: Record<string, RtTensor> = {
      ...past,
      inputs_embeds: rt.tensor('float32', uniformFloats(S * shape.hidden, S), [1, S, shape.hidden]),
      attention_mask: rt.tensor('int64', new BigInt64Array(P + S).fill(1n), [1, P + S]),
      position_ids: rt.tensor('int64', positions, [3, 1, S]),
      num_logits_to_keep: rt.tensor('int64', BigInt64Array.of(1n), []),
    };
    const out = await this.session.run(feeds);
    out.logits.dispose?.();
    const next: Record<string, RtTensor> = {};
    for (const name of Object.keys(past)) next[name] = out[name.replace('past_key_values.', 'present.')];
    return next;
  }
}

export async function loadDecoder(rt: Runtime, files: DecoderFiles): Promise<{ session: RtSession; loadMs: number }> {
  const t = performance.now();
  const session = await rt.load(files.graph, files.externalData);
  return { session, loadMs: performance.now() - t };
}

/** Decode tokens/s at each starting context: warm-up + `runs` steps, the cache growing by one each step. */
export async function measureDecode(rt: Runtime, session: RtSession, shape: DecoderShape, contexts: readonly number[], runs: number, log: (m: string) => void): Promise<DecodeFigure[]> {
  const d = new DecoderDriver(rt, session, shape);
  const out: DecodeFigure[] = [];
  for (const context of contexts) {
    let cache = d.cache(context);
    let P = context;
    const ms = await timeRuns(async () => {
      cache = await d.step(cache, P, 1);
      P += 1;
    }, runs, 1);
    const msPerToken = summarize(ms);
    out.push({ context, msPerToken, tokensPerSecond: mapSummary(msPerToken, (v) => 1000 / v) });
    log(`decode @${context}: ${msPerToken.median} ms/token`);
  }
  return out;
}

export async function measurePrefill(rt: Runtime, session: RtSession, shape: DecoderShape, lengths: readonly number[], runs: number, log: (m: string) => void): Promise<PrefillFigure[]> {
  const d = new DecoderDriver(rt, session, shape);
  const out: PrefillFigure[] = [];
  for (const tokens of lengths) {
    const ms = summarize(await timeRuns(() => d.step(d.cache(0), 0, tokens), runs, 0));
    out.push({ tokens, ms, tokensPerSecond: mapSummary(ms, (v) => (tokens * 1000) / v) });
    log(`prefill ${tokens}: ${ms.median} ms`);
  }
  return out;
}

/**
 * A folder's decoder graph as the engine loads it: the .onnx with every external-data file it names (under the
 * name it records, read beside it), and model.json's text config (the folder root is onnx/'s parent).
 */
export async function readDecoderGraph(graphPath: string): Promise<{ cfg: TextConfig; bytes: GraphBytes }> {
  const graph = new Uint8Array(await readFile(graphPath));
  const externalData = await Promise.all(externalDataLocations(graph).map(async (path) => ({ path, data: new Uint8Array(await readFile(join(dirname(graphPath), path))) })));
  const manifestPath = join(dirname(graphPath), '..', 'model.json');
  return { cfg: parseManifestText(await readFile(manifestPath, 'utf8'), manifestPath).config.text, bytes: { graph, externalData } };
}

/** How the benchmark names the int4 kernels' runs. */
export function int4KernelsName(isa: KernelIsa): string {
  return `fo1-web int4 kernels, ${KERNEL_ISA_LABEL[isa]}`;
}

export interface Int4Args {
  graph: string;
  contexts: number[];
  decodeRuns: number;
  prefill: number[];
  prefillRuns: number;
  /** One build of the kernels; absent: the one the engine picks (relaxed SIMD where it works). */
  isa?: KernelIsa;
}

/**
 * The engine's wasm decoder (src/engine/decode/int4: the int4 kernels) on the same q4 file, through the
 * engine's Decoder interface. Decode at context C starts from a cache view C positions long whose keys and
 * values are written with random values, as DecoderDriver's cache is for ORT (a real C-token prefill would cost
 * minutes; memory left unwritten would be read from the OS's zero page and make attention look nearly free),
 * then single-token steps as the engine takes them.
 */
export async function measureInt4(threads: number, args: Int4Args, log: (m: string) => void) {
  const { cfg, bytes } = await readDecoderGraph(args.graph);
  const capacity = Math.max(...args.contexts, ...args.prefill) + args.decodeRuns + 2;
  const t = performance.now();
  const decoder = await Int4Decoder.load(cfg, bytes, { threads, kvCapacity: capacity, maxRun: 64, isa: args.isa });
  const loadMs = performance.now() - t;
  log(`int4 decoder (${decoder.isa}) loaded in ${Math.round(loadMs)} ms; kernel memory ${decoder.memoryBytes}`);
  const H = cfg.hiddenSize;
  const step = (cache: KvCache, P: number, S: number) => decoder.decode(uniformFloats(S * H, S).map((v) => v * 0.05), Int32Array.from({ length: 3 * S }, (_, i) => P + (i % S)), cache);
  const caches = args.contexts.map((context) => {
    const empty = decoder.emptyCache();
    const kv = empty.prepare(context).memory!;
    const rows = uniformFloats(context * cfg.numKvHeads * cfg.headDim, context + 1); // (context, kvh, hd); the same rows in every layer
    for (let layer = 0; layer < cfg.numLayers; layer++) decoder.writeKv(kv, layer, 0, rows, rows);
    return empty.extendedBy({}, context);
  });
  // The contexts take turns, one step each per round (round 0 warms up), so that the drift of a shared machine
  // falls on all of them alike: the goal figure is their ratio.
  const ms = args.contexts.map(() => [] as number[]);
  for (let round = 0; round <= args.decodeRuns; round++)
    for (let i = 0; i < caches.length; i++) {
      const t = performance.now();
      const r = await step(caches[i], caches[i].length, 1);
      if (round > 0) ms[i].push(performance.now() - t);
      caches[i].dispose(); // as the engine does: the store then goes back to the pool when the last view is disposed
      caches[i] = r.cache;
    }
  caches.forEach((c) => c.dispose());
  const decode: DecodeFigure[] = args.contexts.map((context, i) => {
    const msPerToken = summarize(ms[i]);
    log(`int4 decode @${context}: ${msPerToken.median} ms/token`);
    return { context, msPerToken, tokensPerSecond: mapSummary(msPerToken, (v) => 1000 / v) };
  });
  const prefill: PrefillFigure[] = [];
  for (const tokens of args.prefill) {
    const ms = summarize(await timeRuns(async () => (await step(decoder.emptyCache(), 0, tokens)).cache.dispose(), args.prefillRuns, 0));
    prefill.push({ tokens, ms, tokensPerSecond: mapSummary(ms, (v) => (tokens * 1000) / v) });
    log(`int4 prefill ${tokens}: ${ms.median} ms`);
  }
  const memoryBytes = decoder.memoryBytes;
  decoder.release();
  return { version: int4KernelsName(decoder.isa), isa: decoder.isa, spec: { runtime: 'int4', threads }, loadMs: Math.round(loadMs), kernelMemoryBytes: memoryBytes, decode, prefill };
}
