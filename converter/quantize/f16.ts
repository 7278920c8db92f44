// Which weights the compressed formats keep as binary16 rather than float32 or int4: the unquantized conv
// kernels (converter/emit/linear.ts denseWeight; the int4 block scales are always binary16, q4.ts). The
// graphs read them through a Cast to float32 that onnxruntime constant-folds when the session is built, so
// the download halves and the runtime still computes in float32. Bit patterns: src/onnx/f16.ts.

import { fitsF16, roundF16 } from '../../src/onnx/f16.ts';
import { mapWeights, type WeightSource } from '../read/weights.ts';

/** The kernels the compressed formats store as binary16: conv weights (O, I, kh, kw) that it can hold. */
export function isF16Kernel(name: string, shape: readonly number[], data: ArrayLike<number>): boolean {
  return shape.length === 4 && name.endsWith('.weight') && fitsF16(data);
}

/**
 * `w` as the compressed formats store their conv kernels (every 4-D `*.weight` that binary16 can hold):
 * rounded to binary16. With q4RoundTripped it gives the weights a q4 graph multiplies by. (The ViT's 5-D
 * patch kernel is not a conv in the graphs but an int4 Linear.)
 */
export function f16KernelsRounded(w: WeightSource): WeightSource {
  return mapWeights(w, (name, t) => (isF16Kernel(name, t.shape, t.data) ? { data: Float32Array.from(t.data, roundF16), shape: t.shape } : t));
}
