// Which decoder runs decoder_model_merged. On wasm: the engine's int4 kernels (int4/int4-decoder.ts) when
// the graph is int4 block 32 and the runtime has shared memory — onnxruntime-web's wasm build has no int4
// MatMul kernel, so its session would dequantize every weight on every step (bench/RESULTS.md) — else
// onnxruntime's session. On WebGPU: onnxruntime's session (ort-decoder.ts). The report says which and why.
import type { TextConfig } from '../../model-folder/config.ts';
import { EngineError } from '../engine-error.ts';
import type { LoadProgress, SessionBackend } from '../api.ts';
import { errorText, type BackendChoice, type GraphBytes, type Ort } from '../session.ts';
import type { Decoder } from './decoder-run.ts';
import { Int4Decoder } from './int4/int4-decoder.ts';
import { KERNEL_ISA_LABEL, kernelsAvailable } from './int4/kernels.ts';
import { OrtDecoder } from './ort-decoder.ts';

/** Positions one int4 KV cache holds: 8192 × 73.7 KB = 604 MB at 3B size, beside 1.9 GB of weights. */
export const INT4_KV_CAPACITY = 8192;
/** Positions one int4 pass holds (its scratch memory; longer prefills run in chunks). */
const INT4_MAX_RUN = 64;

export async function createDecoder(ort: Ort, cfg: TextConfig, graph: GraphBytes, choice: BackendChoice, onProgress: (p: LoadProgress) => void): Promise<{ decoder: Decoder; report: SessionBackend }> {
  let why = '';
  if (choice.backend === 'wasm' && choice.ortDecoder) why = '; onnxruntime\'s decoder: the caller asked for it (Fo1EngineOptions.int4Kernels = false)';
  else if (choice.backend === 'wasm') {
    const available = kernelsAvailable();
    if (available.ok) {
      const threads = choice.threads === undefined ? kernelThreads(ort) : checkWasmThreads(choice.threads);
      try {
        const decoder = await Int4Decoder.load(cfg, graph, { threads, kvCapacity: INT4_KV_CAPACITY, maxRun: INT4_MAX_RUN });
        const reason = `${choice.reason}; int4 kernels (fo1-web's ${KERNEL_ISA_LABEL[decoder.isa]}, ${threads} thread${threads > 1 ? 's' : ''}): onnxruntime-web's wasm has no int4 MatMul`;
        return { decoder, report: { session: 'decoder_model_merged', backend: 'wasm', reason } };
      } catch (e) {
        why = `; onnxruntime's decoder: the int4 kernels cannot run this graph (${errorText(e)})`;
      }
    } else why = `; onnxruntime's decoder: no int4 kernels here (${available.reason})`;
  }
  return OrtDecoder.create(ort, cfg, graph, { ...choice, reason: choice.reason + why }, onProgress);
}

/** More helper threads than this only adds wake-up latency: decode streams memory that a few cores saturate. */
export const MAX_WASM_THREADS = 16;

/** A requested kernel thread count (LoadOptions.wasmThreads), refused unless it is a whole number in range. */
export function checkWasmThreads(threads: number): number {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_WASM_THREADS)) throw new EngineError('bad-input', `wasmThreads must be a whole number of threads from 1 to ${MAX_WASM_THREADS} (got ${threads})`);
  return threads;
}

/** ORT's wasm thread count (0 means its default: half the cores, at most 4), so both run alike. */
function kernelThreads(ort: Ort): number {
  const n = Number(ort.env.wasm.numThreads ?? 0);
  if (n > 0) return n;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
  return Math.min(4, Math.ceil(cores / 2));
}
