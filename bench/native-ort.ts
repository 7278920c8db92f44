// onnxruntime-node in the shape of the onnxruntime-web module the engine is given (src/engine/session.ts `Ort`),
// so the engine itself can run on native CPU: issue 12's "the same graphs on onnxruntime-node native CPU with
// the same threads", this machine's ceiling for the wasm figures. The engine asks for the 'wasm' provider and
// passes external data as bytes (ORT-web reads no files); here every session runs on the 'cpu' provider with
// `threads` intra-op threads, and a graph with external data is written with its chunks into a temporary
// folder first, since native ORT resolves external data only relative to a model file.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ort } from '../src/engine/session.ts';
import { importNativeOrt, nativeSessionOptions } from './runtime.ts';

interface WebSessionOptions {
  externalData?: readonly { path: string; data: Uint8Array }[];
}

export interface NativeOrt {
  ort: Ort;
  /** Deletes the temporary folder of the graphs written for sessions. */
  close(): Promise<void>;
}

export async function nativeOrt(threads: number): Promise<NativeOrt> {
  const native = await importNativeOrt();
  const dir = await mkdtemp(join(tmpdir(), 'fo1-native-ort-'));
  const options = nativeSessionOptions(threads);
  let graphs = 0;
  const create = async (model: Uint8Array, web: WebSessionOptions = {}) => {
    if (!web.externalData?.length) return native.InferenceSession.create(model, options);
    const folder = join(dir, String(graphs++));
    await mkdir(folder);
    const path = join(folder, 'graph.onnx');
    await writeFile(path, model);
    for (const chunk of web.externalData) await writeFile(join(folder, chunk.path), chunk.data);
    return native.InferenceSession.create(path, options);
  };
  const ort = {
    ...native,
    InferenceSession: { create },
    // create-decoder.ts reads the wasm thread count; there is no WebGPU here
    env: { ...native.env, wasm: { numThreads: threads }, webgpu: {} },
  } as unknown as Ort;
  return { ort, close: () => rm(dir, { recursive: true, force: true }) };
}
