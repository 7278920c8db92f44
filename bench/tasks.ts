// The tasks a benchmark child process can run (bench/child.ts), each returning a JSON-serializable record.

import { decoderFiles, loadDecoder, measureDecode, measureInt4, measurePrefill, type DecoderShape, type Int4Args } from './decoder-bench.ts';
import { measureAnswer, type AnswerArgs } from './answer-bench.ts';
import { measureKvContext, type KvContextArgs } from './kv-context.ts';
import { measureProposals, type ProposalsArgs } from './proposals-bench.ts';
import { profileFormats } from './matmul-formats.ts';
import { measureVision, type VisionArgs } from './vision-bench.ts';
import { measureEngine, measurePeer, type PeerArgs } from './transformersjs.ts';
import type { Runtime } from './runtime.ts';

const log = (m: string) => process.stderr.write(`  ${m}\n`);

export interface DecoderArgs {
  graph: string;
  shape: DecoderShape;
  contexts: number[];
  decodeRuns: number;
  prefill: number[];
  prefillRuns: number;
}

export const TASKS = {
  async formats(rt: Runtime, args: { ms?: number[]; filter?: string }) {
    return { version: rt.version, timings: await profileFormats(rt, args.ms ?? [1, 512], args.filter ? new RegExp(args.filter) : undefined) };
  },

  /** Load, decode at each context, then prefill (after decode, so the session is warm). */
  async decoder(rt: Runtime, args: DecoderArgs) {
    const files = await decoderFiles(args.graph);
    const { session, loadMs } = await loadDecoder(rt, files);
    log(`loaded in ${Math.round(loadMs)} ms; wasm heap ${rt.wasmMemoryBytes() ?? '-'}`);
    const heapAfterLoad = rt.wasmMemoryBytes();
    const decode = await measureDecode(rt, session, args.shape, args.contexts, args.decodeRuns, log);
    const prefill = await measurePrefill(rt, session, args.shape, args.prefill, args.prefillRuns, log);
    await session.release();
    return { version: rt.version, spec: rt.spec, fileBytes: files.bytes, loadMs: Math.round(loadMs), heapAfterLoad, decode, prefill };
  },

  /** The engine's wasm decoder, the int4 kernels, on the same file (its thread count from the runtime spec). */
  'int4-decoder': (rt: Runtime, args: Int4Args) => measureInt4(rt.spec.threads, args, log),

  /** Figure 4: the image-side graphs of one folder (bench/vision-bench.ts). */
  vision: async (rt: Runtime, args: VisionArgs) => ({ version: rt.version, ...(await measureVision(rt, args)) }),

  /** Figure 5: first and follow-up answers through the engine (bench/answer-bench.ts). */
  answer: (rt: Runtime, args: AnswerArgs & { preset: string }) => measureAnswer(rt, args, args.preset),

  /** Figure 2: transformers.js' own Qwen2.5-VL generation on our files (bench/transformersjs.ts). */
  'peer-transformersjs': (rt: Runtime, args: PeerArgs) => measurePeer(rt, args, log),

  /** Figure 2's comparison: the engine's decode path on the same files and runtime. */
  'peer-engine': (rt: Runtime, args: PeerArgs) => measureEngine(rt, args, log),

  /** Recall@0.5@100 and ms/photo, the reference proposer beside the tiled one (bench/proposals-bench.ts). */
  proposals: (rt: Runtime, args: ProposalsArgs) => measureProposals(rt, args, log),

  /** Decode step vs context on a few-layer decoder with 3B layer dims (bench/kv-context.ts); wasm only. */
  async 'kv-context'(rt: Runtime, args: KvContextArgs) {
    if (rt.spec.runtime !== 'wasm') throw new Error('kv-context measures the engine\'s wasm KV path; run it on wasm');
    return { version: rt.version, threads: rt.spec.threads, ...(await measureKvContext(await import('onnxruntime-web'), args, log)) };
  },
};
