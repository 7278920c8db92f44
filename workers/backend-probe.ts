// Finds out which onnxruntime-web backends work in this browser by creating a session on each and running
// the probe model (workers/probe-graph.ts): a backend counts as working only if its output equals the
// plain-JS result. WebGPU is tried only when an adapter exists, and the adapter is named in the report
// (on a machine without a GPU, Chromium's is SwiftShader: a software fallback with no shader-f16).

import type { Backend, BackendProbe, ProbeReport } from '../src/protocol/messages.ts';
import { ort } from './ort.ts';
import { PROBE_X, probeExpected, probeModel } from './probe-graph.ts';

export async function probeBackends(): Promise<ProbeReport> {
  const model = probeModel();
  const backends: BackendProbe[] = [];
  // Sequentially: both backends share the one wasm module, whose initialisation must happen once.
  backends.push(await probeOne('wasm', model, 'CPU (WebAssembly)'));
  const adapter = await describeAdapter();
  backends.push(adapter.ok ? await probeOne('webgpu', model, adapter.detail) : { backend: 'webgpu', ok: false, detail: adapter.detail });
  return { backends, crossOriginIsolated: globalThis.crossOriginIsolated === true, wasmThreads: Number(ort.env.wasm.numThreads ?? 1) };
}

async function describeAdapter(): Promise<{ ok: boolean; detail: string }> {
  if (!('gpu' in navigator)) return { ok: false, detail: 'this browser has no WebGPU (navigator.gpu is missing)' };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { ok: false, detail: 'no WebGPU adapter (requestAdapter returned null; the GPU may be blocklisted or disabled)' };
  const { vendor, architecture, isFallbackAdapter } = adapter.info;
  const name = [vendor, architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const notes = [isFallbackAdapter ? 'software fallback' : '', adapter.features.has('shader-f16') ? 'shader-f16' : 'no shader-f16'].filter(Boolean);
  return { ok: true, detail: `${name} (${notes.join(', ')})` };
}

async function probeOne(backend: Backend, model: Uint8Array, where: string): Promise<BackendProbe> {
  const expected = probeExpected();
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(model, { executionProviders: [backend] });
    const x = new ort.Tensor('float32', Float32Array.from(PROBE_X.data), [...PROBE_X.dims]);
    const { y } = await session.run({ x });
    const output = Array.from(y.data as Float32Array);
    const ok = output.length === expected.length && output.every((v, i) => v === expected[i]);
    return { backend, ok, detail: ok ? where : `${where}: wrong result`, output, expected };
  } catch (e) {
    return { backend, ok: false, detail: `${where}: ${e instanceof Error ? e.message : String(e)}`, expected };
  } finally {
    await session?.release();
  }
}
