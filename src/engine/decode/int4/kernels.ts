// The host side of the int4 kernels (kernels.as.ts): one shared wasm memory, a bump allocator over it, and
// the calls, each either on this thread or split across a pool of helper threads (kernel-thread.mjs).
//
// Threads share the memory (a SharedArrayBuffer underneath), so the page must be cross-origin isolated (the
// app's COOP/COEP headers); `available()` says whether this runtime can run the kernels at all.
import { DotFormChoice, type DotForm } from './dot-form.ts';
import {
  GEMM_DOT_I16, GEMM_DOT_I32,
  GEMM_JOB_B, GEMM_JOB_BYTES, GEMM_JOB_KB, GEMM_JOB_M, GEMM_JOB_N, GEMM_JOB_S, GEMM_JOB_XQ, GEMM_JOB_XSC, GEMM_JOB_XSUM, GEMM_JOB_Y, GEMM_JOB_Z,
} from './gemm-job.ts';
import { KERNELS_WASM_BASE64 } from './kernels.wasm.ts';
import { SpinWait } from './spin-wait.mjs';

/** The kernels' exports; every pointer is a byte offset into the shared memory. */
export interface KernelExports {
  /** Bytes of one block's activation codes from quantizeRows (32 codes: i16 on plain SIMD, i8 on relaxed). */
  xqBlockBytes(): number;
  quantizeRows(x: number, M: number, K: number, kb: number, xq: number, xsc: number, xsum: number): void;
  /** `rows` (a multiple of 4) rows of MatMulNBits codes (rows, kb, 16) at src → gemmQ4's layout (rows/4, kb, 64) at dst. */
  packQ4(src: number, rows: number, kb: number, dst: number): void;
  /** `count` jobs of GEMM_JOB_BYTES each at `jobs` (writeGemmJob), in one dot form (dot-form.ts). */
  gemmQ4(jobs: number, count: number, form: DotForm, thread: number, threads: number): void;
  /** Bytes of one layer's int8 keys (with their scales) and values (with theirs): kv-cache.as.ts has the layout. */
  kvKeyBytes(kvh: number, hd: number, cap: number): number;
  kvValueBytes(kvh: number, hd: number, cap: number): number;
  /** Positions P … P+n−1 of k, v (n, kvh, hd) f32 into one layer's cache. */
  storeKv(k: number, v: number, n: number, P: number, kvh: number, hd: number, cap: number, kc: number, vc: number): void;
  /** Bytes of attention scratch per thread. */
  attentionScratchBytes(hd: number, cap: number): number;
  attention(q: number, kc: number, vc: number, out: number, S: number, P: number, nh: number, kvh: number, hd: number, cap: number, scratch: number, thread: number, threads: number): void;
  siluMul(gate: number, up: number, count: number, thread: number, threads: number): void;
}

/** An int4 weight in kernel memory, in gemmQ4's layout (gemm.as.ts): codes B, scales S, zero points Z. */
export interface Q4Weight {
  B: number;
  S: number;
  Z: number;
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
/** Where gemmQ4 reads each field of a job (gemm-job.ts, the table gemm.as.ts reads by). */
const GEMM_JOB_OFFSETS: Readonly<Record<keyof GemmJob, number>> = {
  B: GEMM_JOB_B, S: GEMM_JOB_S, Z: GEMM_JOB_Z, N: GEMM_JOB_N, kb: GEMM_JOB_KB,
  xq: GEMM_JOB_XQ, xsc: GEMM_JOB_XSC, xsum: GEMM_JOB_XSUM, M: GEMM_JOB_M, y: GEMM_JOB_Y,
};
const GEMM_JOB_FIELDS = Object.entries(GEMM_JOB_OFFSETS) as [keyof GemmJob, number][];
export { GEMM_JOB_BYTES };

/** Writes `job` as gemmQ4's struct at byte `at` of `buffer`. */
function writeGemmJob(buffer: ArrayBufferLike, at: number, job: GemmJob): void {
  const view = new DataView(buffer, at, GEMM_JOB_BYTES);
  for (const [field, offset] of GEMM_JOB_FIELDS) view.setInt32(offset, job[field], true);
}

/** The kernels that split their work across threads (their last two arguments are thread, threads). */
export type ParallelKernel = 'gemmQ4' | 'attention' | 'siluMul';
const PARALLEL: readonly ParallelKernel[] = ['gemmQ4', 'attention', 'siluMul'];

/** Shared-memory control block, in Int32 slots (kernel-thread.mjs reads the same layout). */
const CONTROL = { generation: 0, op: 1, argc: 2, threads: 3, done: 4, args: 8, size: 32 } as const;

const PAGE = 65536;
/** loadQ4's staging area: a few thousand rows of codes at the decoder's sizes. */
const STAGING_BYTES = 4 * 2 ** 20;
/** The wasm32 limit: 65536 pages, 4 GiB. */
const MAX_PAGES = 65536;

/**
 * The two builds of kernels.as.ts (build-kernels.ts): 'relaxed-simd' multiplies int8 by int4 codes in one
 * instruction (Chrome 114+, Edge; Node 20 behind --experimental-wasm-relaxed-simd); 'simd' runs wherever wasm
 * SIMD and threads do (Firefox, Safari).
 */
export type KernelIsa = 'relaxed-simd' | 'simd';

/** How a KernelIsa reads in the backend reason. */
export const KERNEL_ISA_LABEL: Record<KernelIsa, string> = { 'relaxed-simd': 'wasm relaxed SIMD', simd: 'wasm SIMD' };

export function kernelsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (typeof SharedArrayBuffer === 'undefined') return { ok: false, reason: 'SharedArrayBuffer is unavailable (the page is not cross-origin isolated)' };
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(wasmBytes('simd'))) return { ok: false, reason: 'this runtime lacks wasm SIMD or threads' };
  return { ok: true };
}

const bytes = new Map<KernelIsa, Uint8Array<ArrayBuffer>>();
function wasmBytes(isa: KernelIsa): Uint8Array<ArrayBuffer> {
  let b = bytes.get(isa);
  if (!b) bytes.set(isa, (b = Uint8Array.from(atob(KERNELS_WASM_BASE64[isa]), (c) => c.charCodeAt(0))));
  return b;
}

function imports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { memory, abort: () => { throw new Error('int4 kernel abort'); } } };
}

/**
 * The relaxed build, compiled, with the dot forms (dot-form.ts) that multiply as the kernels need, where this
 * runtime accepts it and at least one does; else why not. Relaxed SIMD's results are implementation-defined
 * outside the operand ranges the kernels keep to, and one engine (V8 11.3, flagged) gets the i32 form wrong in
 * its baseline compiler, so a known product is checked exactly in each form first: x an int8 row with max
 * |x| = 127 (so quantizeRows keeps it exactly), every code 0..15, scale 1, zero point 8.
 */
async function relaxedKernels(): Promise<{ ok: true; module: WebAssembly.Module; forms: DotForm[] } | { ok: false; reason: string }> {
  if (!WebAssembly.validate(wasmBytes('relaxed-simd'))) return { ok: false, reason: 'this runtime lacks wasm relaxed SIMD' };
  const module = await WebAssembly.compile(wasmBytes('relaxed-simd'));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const k = (await WebAssembly.instantiate(module, imports(memory))).exports as unknown as KernelExports;
  const at = { x: 0, src: 128, B: 192, S: 256, Z: 272, xq: 288, xsc: 320, xsum: 324, jobs: 384, y: 448 };
  const x = Float32Array.from({ length: 32 }, (_, i) => ((i * 37) % 255) - 127);
  new Float32Array(memory.buffer, at.x, 32).set(x);
  const codes = Array.from({ length: 32 }, (_, i) => (i * 7) % 16);
  // one row of MatMulNBits codes (three zero rows pad its group), scale 1, zero point 8
  new Uint8Array(memory.buffer, at.src, 16).set(codes.filter((_, i) => i % 2 === 0).map((c, j) => c | (codes[2 * j + 1] << 4)));
  k.packQ4(at.src, 4, 1, at.B);
  new Float32Array(memory.buffer, at.S, 1)[0] = 1;
  new Uint8Array(memory.buffer, at.Z, 1)[0] = 8;
  writeGemmJob(memory.buffer, at.jobs, { B: at.B, S: at.S, Z: at.Z, N: 1, kb: 1, xq: at.xq, xsc: at.xsc, xsum: at.xsum, M: 1, y: at.y });
  k.quantizeRows(at.x, 1, 32, 1, at.xq, at.xsc, at.xsum);
  const expected = codes.reduce((sum, c, i) => sum + (c - 8) * x[i], 0);
  const got = ([GEMM_DOT_I16, GEMM_DOT_I32] as const).map((form) => {
    k.gemmQ4(at.jobs, 1, form, 0, 1);
    return { form, y: new Float32Array(memory.buffer, at.y, 1)[0] };
  });
  const forms = got.filter((g) => g.y === expected).map((g) => g.form);
  return forms.length ? { ok: true, module, forms } : { ok: false, reason: `this runtime's relaxed int8 dot is not the one the kernels need (a known product came out ${got[0].y}, not ${expected})` };
}

/** A helper thread as both runtimes expose it. */
interface Thread {
  postMessage(data: unknown): void;
  terminate(): unknown;
}

export class Kernels {
  private top = PAGE; // offset 0 stays unused: a null pointer is never valid
  private staging: { at: number; bytes: number } | null = null; // loadQ4's
  private readonly control: Int32Array;
  private readonly waiter = new SpinWait();

  private constructor(
    readonly isa: KernelIsa,
    readonly memory: WebAssembly.Memory,
    readonly exports: KernelExports,
    private readonly threads: Thread[],
    controlBuffer: SharedArrayBuffer,
    private readonly dot: DotFormChoice,
  ) {
    this.control = new Int32Array(controlBuffer);
    this.xqBlockBytes = exports.xqBlockBytes();
  }

  /** Bytes of one block's activation codes (quantizeRows' output), which depend on the build. */
  readonly xqBlockBytes: number;

  /**
   * The kernels on a fresh shared memory, with `threads` − 1 helper threads beside this one: the relaxed-SIMD
   * build where it works, else plain SIMD; `isa` asks for one build and throws where it cannot run.
   */
  static async create(threads: number, isa?: KernelIsa): Promise<Kernels> {
    const available = kernelsAvailable();
    if (!available.ok) throw new Error(`int4 kernels: ${available.reason}`);
    if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`int4 kernels: thread count must be a positive integer (got ${threads})`);
    const relaxed = isa === 'simd' ? null : await relaxedKernels();
    if (isa === 'relaxed-simd' && relaxed && !relaxed.ok) throw new Error(`int4 kernels: ${relaxed.reason}`);
    const chosen: KernelIsa = relaxed?.ok ? 'relaxed-simd' : 'simd';
    const module = relaxed?.ok ? relaxed.module : await WebAssembly.compile(wasmBytes('simd'));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(module, imports(memory));
    const controlBuffer = new SharedArrayBuffer(CONTROL.size * 4);
    const helpers = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => startThread({ module, memory, control: controlBuffer, thread: i + 1, ops: PARALLEL })));
    const dot = new DotFormChoice(relaxed?.ok ? relaxed.forms : [GEMM_DOT_I16]);
    return new Kernels(chosen, memory, instance.exports as unknown as KernelExports, helpers, controlBuffer, dot);
  }

  /** The dot forms gemm may use here (dot-form.ts). */
  get dotForms(): readonly DotForm[] {
    return this.dot.forms;
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

  /**
   * An int4 weight (N, kb·32) as MatMulNBits stores it — codes (N, kb, 16), scales (N, kb) (widened to f32),
   * zero points (N, ⌈kb/2⌉) two a byte, low nibble first — copied into fresh memory in the layout gemmQ4
   * multiplies: rows in groups of four (gemm.as.ts), the zero points one a byte. The codes go through a staging
   * area a few groups at a time, so loading needs no second copy of a weight.
   */
  loadQ4(codes: Uint8Array, scales: Float32Array, zeroPoints: Uint8Array, N: number, kb: number): Q4Weight {
    const rowBytes = kb * 16, G = Math.ceil(N / 4), zpRow = Math.ceil(kb / 2);
    if (codes.length !== N * rowBytes || scales.length !== N * kb || zeroPoints.length !== N * zpRow)
      throw new RangeError(`int4 kernels: a (${N}, ${kb} blocks) weight needs ${N * rowBytes} code bytes, ${N * kb} scales and ${N * zpRow} zero-point bytes (got ${codes.length}, ${scales.length}, ${zeroPoints.length})`);
    const B = this.alloc(G * kb * 64), S = this.alloc(G * kb * 16), Z = this.alloc(G * kb * 4);
    const s = this.f32(S, G * kb * 4), z = this.u8(Z, G * kb * 4);
    for (let n = 0; n < N; n++)
      for (let b = 0; b < kb; b++) {
        const to = ((n >> 2) * kb + b) * 4 + (n & 3), byte = zeroPoints[n * zpRow + (b >> 1)];
        s[to] = scales[n * kb + b];
        z[to] = b & 1 ? byte >> 4 : byte & 15;
      }
    const chunk = Math.max(4, Math.floor(STAGING_BYTES / rowBytes / 4) * 4);
    if (!this.staging || this.staging.bytes < chunk * rowBytes) this.staging = { at: this.alloc(chunk * rowBytes), bytes: chunk * rowBytes };
    for (let r0 = 0; r0 < N; r0 += chunk) {
      const rows = Math.min(chunk, N - r0), padded = Math.ceil(rows / 4) * 4;
      const stage = this.u8(this.staging.at, padded * rowBytes);
      stage.set(codes.subarray(r0 * rowBytes, (r0 + rows) * rowBytes));
      stage.fill(0, rows * rowBytes);
      this.exports.packQ4(this.staging.at, padded, kb, B + (r0 / 4) * kb * 64);
    }
    return { B, S, Z };
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }

  /**
   * Writes `jobs` at `at` (room for GEMM_JOB_BYTES each) and runs them as one gemmQ4 call across the threads, in
   * `form` or else in the dot form DotFormChoice picks.
   */
  gemm(at: number, jobs: readonly GemmJob[], form?: DotForm): void {
    jobs.forEach((job, j) => writeGemmJob(this.memory.buffer, at + j * GEMM_JOB_BYTES, job));
    const run = (f: DotForm) => this.parallel('gemmQ4', [at, jobs.length, f]);
    if (form !== undefined) return run(form);
    this.dot.run(jobs.reduce((macs, j) => macs + j.M * j.N * j.kb * 32, 0), run);
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
    this.waiter.until(c, CONTROL.done, (done) => done >= n - 1);
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
