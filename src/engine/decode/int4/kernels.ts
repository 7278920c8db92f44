// The host side of the int4 kernels (kernels.as.ts): one shared wasm memory, a bump allocator over it, and
// the calls, each either on this thread or split across a pool of helper threads (kernel-thread.mjs).
//
// Threads share the memory (a SharedArrayBuffer underneath), so the page must be cross-origin isolated (the
// app's COOP/COEP headers); `available()` says whether this runtime can run the kernels at all.
import { KERNELS_WASM_BASE64 } from './kernels.wasm.ts';

/** The kernels' exports; every pointer is a byte offset into the shared memory. */
export interface KernelExports {
  quantizeRows(x: number, M: number, K: number, kb: number, xq: number, xsc: number, xsum: number): void;
  /** `count` jobs of GEMM_JOB_FIELDS int32s each at `jobs` (writeGemmJobs). */
  gemmQ4(jobs: number, count: number, thread: number, threads: number): void;
  attention(q: number, kc: number, vc: number, out: number, S: number, P: number, nh: number, kvh: number, hd: number, cap: number, scratch: number, thread: number, threads: number): void;
  siluMul(gate: number, up: number, count: number): void;
}

/** One int4 product for gemmQ4: y (M, N) = codes of x (M, kb·32) · Wᵀ, W's codes B, scales S, zero points Z. */
export interface GemmJob {
  B: number;
  S: number;
  Z: number;
  N: number;
  kb: number;
  xq: number;
  xsc: number;
  xsum: number;
  M: number;
  y: number;
}
const GEMM_JOB_FIELDS = ['B', 'S', 'Z', 'N', 'kb', 'xq', 'xsc', 'xsum', 'M', 'y'] as const;
/** Bytes of one block's activation codes from quantizeRows (kernels.as.ts XQ_BLOCK_BYTES: 32 i16). */
export const XQ_BLOCK_BYTES = 64;

/** Bytes gemmQ4 reads per job (kernels.as.ts JOB_BYTES). */
export const GEMM_JOB_BYTES = GEMM_JOB_FIELDS.length * 4;

/** The kernels that split their work across threads (their last two arguments are thread, threads). */
export type ParallelKernel = 'gemmQ4' | 'attention';
const PARALLEL: readonly ParallelKernel[] = ['gemmQ4', 'attention'];

/** Shared-memory control block, in Int32 slots (kernel-thread.mjs reads the same layout). */
const CONTROL = { generation: 0, op: 1, argc: 2, threads: 3, done: 4, args: 8, size: 32 } as const;

const PAGE = 65536;
/** The wasm32 limit: 65536 pages, 4 GiB. */
const MAX_PAGES = 65536;

export function kernelsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (typeof SharedArrayBuffer === 'undefined') return { ok: false, reason: 'SharedArrayBuffer is unavailable (the page is not cross-origin isolated)' };
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(wasmBytes())) return { ok: false, reason: 'this runtime lacks wasm SIMD or threads' };
  return { ok: true };
}

let bytes: Uint8Array<ArrayBuffer> | null = null;
function wasmBytes(): Uint8Array<ArrayBuffer> {
  if (!bytes) {
    const bin = atob(KERNELS_WASM_BASE64);
    bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  return bytes;
}

/** A helper thread as both runtimes expose it. */
interface Thread {
  postMessage(data: unknown): void;
  terminate(): unknown;
}

export class Kernels {
  private top = PAGE; // offset 0 stays unused: a null pointer is never valid
  private readonly control: Int32Array;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly exports: KernelExports,
    private readonly threads: Thread[],
    controlBuffer: SharedArrayBuffer,
  ) {
    this.control = new Int32Array(controlBuffer);
  }

  /** The kernels on a fresh shared memory, with `threads` − 1 helper threads beside this one. */
  static async create(threads: number): Promise<Kernels> {
    const available = kernelsAvailable();
    if (!available.ok) throw new Error(`int4 kernels: ${available.reason}`);
    if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`int4 kernels: thread count must be a positive integer (got ${threads})`);
    const module = await WebAssembly.compile(wasmBytes());
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory, abort: () => { throw new Error('int4 kernel abort'); } } });
    const controlBuffer = new SharedArrayBuffer(CONTROL.size * 4);
    const helpers = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => startThread({ module, memory, control: controlBuffer, thread: i + 1, ops: PARALLEL })));
    return new Kernels(memory, instance.exports as unknown as KernelExports, helpers, controlBuffer);
  }

  get threadCount(): number {
    return this.threads.length + 1;
  }

  /** `bytes` of fresh memory, 64-byte aligned (a cache line; v128 loads need 16). Never freed. */
  alloc(bytes: number): number {
    const at = this.top;
    const end = at + Math.ceil(bytes / 64) * 64;
    const pages = Math.ceil(end / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (pages > MAX_PAGES) throw new RangeError(`int4 kernels: ${(end / 2 ** 30).toFixed(2)} GiB needed, more than wasm's 4 GiB memory`);
    if (pages > have) this.memory.grow(pages - have);
    this.top = end;
    return at;
  }

  /** Bytes in use (the memory's high-water mark). */
  get used(): number {
    return this.top;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }

  /** Writes `jobs` at `at` (room for GEMM_JOB_BYTES each) and runs them as one gemmQ4 call across the threads. */
  gemm(at: number, jobs: readonly GemmJob[]): void {
    const fields = new Int32Array(this.memory.buffer, at, jobs.length * GEMM_JOB_FIELDS.length);
    jobs.forEach((job, j) => GEMM_JOB_FIELDS.forEach((f, i) => (fields[j * GEMM_JOB_FIELDS.length + i] = job[f])));
    this.parallel('gemmQ4', [at, jobs.length]);
  }

  /** Runs a parallel kernel: thread 0 (this one) and every helper each do their share; returns when all are done. */
  parallel(name: ParallelKernel, args: number[]): void {
    const n = this.threadCount;
    if (n === 1) return (this.exports[name] as (...a: number[]) => void)(...args, 0, 1);
    const c = this.control;
    c[CONTROL.op] = PARALLEL.indexOf(name);
    c[CONTROL.argc] = args.length;
    c[CONTROL.threads] = n;
    c.set(args, CONTROL.args); // pointers ≥ 2 GiB wrap to negative int32s: wasm reads the same bits back
    Atomics.store(c, CONTROL.done, 0);
    Atomics.add(c, CONTROL.generation, 1);
    Atomics.notify(c, CONTROL.generation);
    (this.exports[name] as (...a: number[]) => void)(...args, 0, n);
    for (let done = Atomics.load(c, CONTROL.done); done < n - 1; done = Atomics.load(c, CONTROL.done)) Atomics.wait(c, CONTROL.done, done);
  }

  /** Stops the helper threads; the memory goes with the last reference to this object. */
  close(): void {
    if (!this.threads.length) return;
    this.control[CONTROL.op] = -1;
    Atomics.add(this.control, CONTROL.generation, 1);
    Atomics.notify(this.control, CONTROL.generation);
    for (const t of this.threads) t.terminate();
    this.threads.length = 0;
  }
}

interface ThreadInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  thread: number;
  ops: readonly string[];
}

/** Starts one helper thread and resolves once it has instantiated the kernels. */
async function startThread(init: ThreadInit): Promise<Thread> {
  // Browsers (and the engine's worker) have Worker; Node has worker_threads.
  const thread: Thread & { addEventListener?: unknown; once?: unknown } = typeof Worker !== 'undefined'
    ? new Worker(new URL('./kernel-thread.mjs', import.meta.url), { type: 'module' })
    : new (await import(/* @vite-ignore */ 'node:worker_threads')).Worker(new URL('./kernel-thread.mjs', import.meta.url));
  await new Promise<void>((resolve, reject) => {
    if (thread instanceof EventTarget) {
      const w = thread as unknown as Worker;
      w.onmessage = () => resolve();
      w.onerror = (e) => reject(new Error(`int4 kernel thread failed to start: ${e.message}`));
    } else {
      const w = thread as unknown as import('node:worker_threads').Worker;
      // Unreferenced once running: a parked helper must not keep Node alive after the engine is done.
      w.once('message', () => (w.unref(), resolve()));
      w.once('error', (e: Error) => reject(new Error(`int4 kernel thread failed to start: ${e.message}`)));
    }
    thread.postMessage(init);
  });
  return thread;
}
