// Runs an ONNX model with onnxruntime-web's wasm backend in Node, as the unit tests do.
import * as ort from 'onnxruntime-web';

export type Feeds = Record<string, ort.Tensor>;

ort.env.wasm.numThreads = 1;

export async function runModel(model: Uint8Array, feeds: Feeds, externalData?: { path: string; data: Uint8Array }[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], externalData });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

export function f32(data: Float32Array | number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', data instanceof Float32Array ? data : Float32Array.from(data), dims);
}

export function i64(data: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(Array.from(data, (v) => BigInt(v))), dims);
}

export { ort };
