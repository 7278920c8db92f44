// The engine's onnxruntime-web sessions: one ORT instance (injected — `onnxruntime-web/webgpu` in the
// worker, `onnxruntime-web` wasm in Node), one execution provider chosen per session, and a record of
// what each session got and why.
//
// Choice: a forced backend wins; otherwise WebGPU when the runtime has a hardware adapter, else wasm (a
// software adapter — SwiftShader, llvmpipe, WARP — emulates the GPU on the CPU, where every graph runs far
// slower than on wasm: a 1×64 · 64×151936 int4 product, the tiny demo's lm_head, takes 7-10 s per run on
// SwiftShader; bench/RESULTS.md figure 8 has the whole answers). A session
// that fails to build on WebGPU (an op without a kernel, a validation error) falls back to wasm, and the
// reason says so. On WebGPU the decoder's present.* outputs stay on the GPU (`gpu-buffer`; the engine binds
// its own pre-allocated buffers there, decode/gpu-kv-store.ts), so the KV cache is never copied to the CPU.

import type * as OrtTypes from 'onnxruntime-web';
import type { Backend, SessionBackend } from './api.ts';

/** The onnxruntime-web module (both entry points share these types). */
export type Ort = typeof OrtTypes;
export type OrtTensor = OrtTypes.Tensor;
export type OrtSession = OrtTypes.InferenceSession;

/** The graph and its external-data chunks, as bytes already verified against model.json. */
export interface GraphBytes {
  graph: Uint8Array;
  /** `path` is the chunk's file name, as the .onnx's external-data `location` records it. */
  externalData: { path: string; data: Uint8Array }[];
}

export interface BackendChoice {
  backend: Backend;
  reason: string;
  /** WebGPU with an adapter that has `shader-f16`: float16 graphs (q4f16) run natively (load-model.ts chooseDtype). */
  shaderF16?: boolean;
  /** Threads for the wasm decoder's int4 kernels (LoadOptions.wasmThreads); absent: create-decoder.ts's default. */
  threads?: number;
  /** Run the encoders' int4 Linears as int8 on wasm (LoadOptions.wasmEncoderInt8, on unless false; encoders/int8-linears.ts). */
  int8Encoders?: boolean;
  /** On wasm, onnxruntime's decoder session rather than the int4 kernels (Fo1EngineOptions.int4Kernels = false). */
  ortDecoder?: boolean;
}

/** Which backend sessions should try first here. */
export async function chooseBackend(forced?: Backend): Promise<BackendChoice> {
  if (forced === 'wasm') return { backend: forced, reason: `forced to ${forced} by the caller` };
  const found = await findAdapter();
  const shaderF16 = found.adapter?.features.has('shader-f16') ?? false;
  if (forced) return { backend: forced, reason: `forced to ${forced} by the caller${found.adapter ? `; ${found.detail}` : ''}`, shaderF16 };
  if (!found.adapter) return { backend: 'wasm', reason: found.detail };
  if (isSoftwareAdapter(found.adapter.info)) return { backend: 'wasm', reason: `${found.detail} is a software renderer (the GPU emulated on the CPU), slower than wasm; choose WebGPU to use it anyway` };
  return { backend: 'webgpu', reason: found.detail, shaderF16 };
}

/** This runtime's WebGPU adapter with a description of it, or null and why there is none. */
export async function findAdapter(): Promise<{ adapter: GPUAdapter | null; detail: string }> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: GPU }) | undefined)?.gpu;
  if (!gpu) return { adapter: null, detail: 'no WebGPU in this runtime (navigator.gpu is missing)' };
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return { adapter: null, detail: 'WebGPU exists but no adapter was found' };
  const name = [adapter.info.vendor, adapter.info.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  return { adapter, detail: `WebGPU adapter: ${name} (${adapterCapabilities(adapter)})` };
}

/** Software renderers by their names: Google's SwiftShader, Mesa's llvmpipe/lavapipe, Microsoft's WARP ("Basic Render Driver"). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** Whether the adapter emulates a GPU on the CPU: the browser says so (isFallbackAdapter), or its name does. */
export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo (Chrome 136) and is newer than these types.
  const { isFallbackAdapter } = info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return isFallbackAdapter === true || SOFTWARE_RENDERER.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

/**
 * What the adapter offers that matters here: `shader-f16` (what q4f16 graphs need) and its subgroup
 * sizes (onnxruntime's WebGPU attention assumes ≥ 8 lanes; decode/attention-check.ts).
 */
function adapterCapabilities(adapter: GPUAdapter): string {
  // subgroupMinSize/MaxSize are newer than this TypeScript's WebGPU types.
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const subgroups = !adapter.features.has('subgroups')
    ? 'no subgroups'
    : info.subgroupMinSize
      ? `subgroups of ${info.subgroupMinSize === info.subgroupMaxSize ? info.subgroupMinSize : `${info.subgroupMinSize}–${info.subgroupMaxSize}`} lanes`
      : 'subgroups';
  return `${adapter.features.has('shader-f16') ? 'shader-f16' : 'no shader-f16'}, ${subgroups}`;
}

export interface SessionRequest {
  name: string;
  bytes: GraphBytes;
  choice: BackendChoice;
  /** Outputs to keep on the GPU when the session runs on WebGPU (the decoder's present.*). */
  gpuOutputs?: readonly string[];
}

export interface CreatedSession {
  session: OrtSession;
  report: SessionBackend;
}

export async function createSession(ort: Ort, req: SessionRequest): Promise<CreatedSession> {
  const { name, bytes, choice } = req;
  if (choice.backend === 'webgpu') {
    try {
      const preferredOutputLocation = Object.fromEntries((req.gpuOutputs ?? []).map((o) => [o, 'gpu-buffer' as const]));
      const session = await ort.InferenceSession.create(bytes.graph, { executionProviders: ['webgpu'], externalData: bytes.externalData, preferredOutputLocation });
      return { session, report: { session: name, backend: 'webgpu', reason: choice.reason } };
    } catch (e) {
      const session = await createWasm(ort, bytes, name);
      return { session, report: { session: name, backend: 'wasm', reason: `WebGPU session failed (${errorText(e)}); fell back to wasm` } };
    }
  }
  return { session: await createWasm(ort, bytes, name), report: { session: name, backend: 'wasm', reason: choice.reason } };
}

async function createWasm(ort: Ort, bytes: GraphBytes, name: string): Promise<OrtSession> {
  try {
    return await ort.InferenceSession.create(bytes.graph, { executionProviders: ['wasm'], externalData: bytes.externalData });
  } catch (e) {
    throw new SessionError(`${name}: onnxruntime could not create the session: ${errorText(e)}`);
  }
}

/** onnxruntime refused to build or run a graph. */
export class SessionError extends Error {
  override name = 'SessionError';
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs a session, turning ORT failures into a SessionError that names the graph. `fetches`: the outputs to
 * compute, each a pre-allocated tensor ORT writes into or null for one it allocates (all outputs when absent).
 */
export async function runSession(name: string, session: OrtSession, feeds: Record<string, OrtTensor>, fetches?: Record<string, OrtTensor | null> | null): Promise<Record<string, OrtTensor>> {
  try {
    return await (fetches ? session.run(feeds, fetches) : session.run(feeds));
  } catch (e) {
    throw new SessionError(`${name}: onnxruntime failed to run: ${errorText(e)}`);
  }
}
