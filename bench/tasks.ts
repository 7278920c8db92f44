// The tasks a benchmark child process can run (bench/child.ts), each returning a JSON-serializable record.

import { decoderFiles, loadDecoder, measureDecode, measurePrefill, type DecoderShape } from './decoder-bench.ts';
import { profileFormats } from './matmul-formats.ts';
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

  answer: (rt: Runtime, args: { folder: string; maxNewTokens: number }) => answerTask(rt, args),
};

/**
 * The whole model answering on wasm through the engine (src/engine/node.ts), as a user would: a 640×480 photo,
 * 20 boxes, a short question, then a follow-up on the same image. Records the engine's own timings and the
 * wasm heap's peak (the 4 GB wasm32 limit is an issue-5 goal).
 */
export async function answerTask(rt: Runtime, args: { folder: string; maxNewTokens: number }) {
  const { createNodeEngine, folderSource } = await import('../src/engine/node.ts');
  const engine = createNodeEngine({ dtype: 'q4', numThreads: rt.spec.threads, seed: 0 });
  const signal = new AbortController().signal;
  const t0 = performance.now();
  try {
    await engine.load({ source: folderSource(args.folder) }, () => {}, signal);
    const loadMs = performance.now() - t0;
    log(`engine loaded in ${Math.round(loadMs)} ms; wasm heap ${rt.wasmMemoryBytes()}`);
    const image = testImage(640, 480);
    const boxes = Array.from({ length: 20 }, (_, i) => ({ x1: (i % 5) * 120, y1: Math.floor(i / 5) * 110, x2: (i % 5) * 120 + 110, y2: Math.floor(i / 5) * 110 + 100 }));
    const ask = (text: string) =>
      engine.ask({ imageId: 'bench', image, boxes, regions: [0, 3], task: { preset: 'free', text }, generation: { maxNewTokens: args.maxNewTokens, temperature: 0 } }, () => {}, signal);
    const first = await ask('What is in <region0> and how does it relate to <region3>?');
    log(`first answer: ${JSON.stringify(first.timings)}`);
    const followUp = await ask('And what color is it?');
    log(`follow-up: ${JSON.stringify(followUp.timings)}`);
    return { answered: first.text.length > 0, loadMs: Math.round(loadMs), first: first.timings, followUp: followUp.timings, backend: first.backend };
  } finally {
    await engine.dispose();
  }
}

/** A deterministic RGBA test card (gradients and blocks), so the vision encoders see structure, not noise. */
function testImage(width: number, height: number) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = ((x >> 5) + (y >> 5)) & 1 ? 200 : 40;
      data[i + 3] = 255;
    }
  return { kind: 'rgba' as const, width, height, data };
}
