// The two ONNX Runtimes compared on the same files: onnxruntime-web's wasm CPU backend in Node (the browser
// fallback path) and onnxruntime-node's native CPU EP, behind one small interface so every benchmark drives
// both identically. Each process loads one runtime with one thread count (ORT-web fixes its thread pool at the
// first session), so benchmarks run each configuration in its own child process.

import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type RuntimeName = 'wasm' | 'native';

export interface RuntimeSpec {
  runtime: RuntimeName;
  threads: number;
}

export type TensorType = 'float32' | 'int64' | 'int32' | 'uint8' | 'int8';
type TypedArray = Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

/** A tensor of whichever runtime made it (feeds are duck-typed by both). */
export interface RtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  dispose?(): void;
}

export interface RtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, RtTensor>, outputs?: readonly string[]): Promise<Record<string, RtTensor>>;
  release(): Promise<void>;
}

export interface Runtime {
  readonly spec: RuntimeSpec;
  readonly version: string;
  tensor(type: TensorType, data: TypedArray, dims: readonly number[]): RtTensor;
  /** `model` is a path (external data beside it, named as the .onnx records) or in-memory bytes. */
  load(model: string | Uint8Array, externalData?: readonly string[]): Promise<RtSession>;
  /** Bytes of the wasm linear memory (it only grows, so this is its peak); undefined for native. */
  wasmMemoryBytes(): number | undefined;
}

let wasmMemories: WebAssembly.Memory[] = [];

/** Records every WebAssembly.Memory created from now on; must run before onnxruntime-web is imported. */
function captureWasmMemories(): void {
  const Original = WebAssembly.Memory;
  const Patched = function (this: unknown, desc: WebAssembly.MemoryDescriptor) {
    const m = new Original(desc);
    wasmMemories.push(m);
    return m;
  } as unknown as typeof WebAssembly.Memory;
  Patched.prototype = Original.prototype;
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Patched;
}

export async function openRuntime(spec: RuntimeSpec): Promise<Runtime> {
  if (!Number.isInteger(spec.threads) || spec.threads < 1) throw new Error(`threads must be a positive integer, got ${spec.threads}`);
  return spec.runtime === 'wasm' ? openWasm(spec) : openNative(spec);
}

async function openWasm(spec: RuntimeSpec): Promise<Runtime> {
  captureWasmMemories();
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = spec.threads;
  const version = ort.env.versions.web ?? 'unknown';
  return {
    spec,
    version,
    tensor: (type, data, dims) => new ort.Tensor(type, data as never, dims),
    async load(model, externalData) {
      const bytes = typeof model === 'string' ? await readFile(model) : model;
      // ORT-web reads nothing from disk itself: external data files go in as bytes under their recorded names.
      const ext = typeof model === 'string' && externalData
        ? await Promise.all(externalData.map(async (f) => ({ path: basename(f), data: await readFile(join(dirname(model), basename(f))) })))
        : undefined;
      const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], externalData: ext, graphOptimizationLevel: 'all' });
      return wrap(s);
    },
    wasmMemoryBytes: () => wasmMemories.reduce((a, m) => Math.max(a, m.buffer.byteLength), 0),
  };
}

/** onnxruntime-node's module (its default export where the loader gives one). */
export async function importNativeOrt() {
  const ort = await import('onnxruntime-node');
  return ort.default ?? ort;
}

/** The session options every native figure runs under: the CPU provider on `threads` intra-op threads. */
export function nativeSessionOptions(threads: number) {
  return { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
}

async function openNative(spec: RuntimeSpec): Promise<Runtime> {
  const ort = await importNativeOrt();
  const version = ort.env.versions.node ?? 'unknown';
  const options = nativeSessionOptions(spec.threads);
  return {
    spec,
    version,
    tensor: (type, data, dims) => new ort.Tensor(type, data as never, dims),
    async load(model) {
      // Native ORT resolves external data relative to the .onnx path itself.
      const s = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
      return wrap(s);
    },
    wasmMemoryBytes: () => undefined,
  };
}

interface OrtLikeSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: never, fetches?: never): Promise<Record<string, RtTensor>>;
  release(): Promise<void>;
}

function wrap(s: OrtLikeSession): RtSession {
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    run: (feeds, outputs) => (outputs ? s.run(feeds as never, outputs as never) : s.run(feeds as never)),
    release: () => s.release(),
  };
}

export function parseRuntimeSpec(text: string): RuntimeSpec {
  const m = /^(wasm|native)(?::(\d+))?$/.exec(text);
  if (!m) throw new Error(`runtime "${text}": expected wasm[:threads] or native[:threads]`);
  return { runtime: m[1] as RuntimeName, threads: m[2] ? Number(m[2]) : 2 };
}

export function runtimeLabel(spec: RuntimeSpec): string {
  return `${spec.runtime === 'wasm' ? 'ORT-web wasm' : 'ORT-node native'} ×${spec.threads}`;
}
