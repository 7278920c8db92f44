// The one place that decides how a torch Linear becomes ONNX for each weight format:
//   fp32: MatMul(x, Wᵀ) [+ Add b]                      — W stored transposed (K, N) under its checkpoint name
//   q4:   MatMulNBits(x, B, scales, zero_points) [+ Add b] — int4 blocks along K, float32 activations
// Every emitter calls `linear()` so a new format is one change here.

import type { Scope, Value } from '../onnx/graph.ts';
import { tensorData } from '../onnx/graph.ts';
import type { WeightSource } from '../read/checkpoint.ts';
import { quantizeQ4 } from '../quantize/q4.ts';
import { permute, type Tensor } from '../../reference/tensor.ts';

export type WeightFormat = 'fp32' | 'q4';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['fp32', 'q4'];

export interface EmitContext {
  w: WeightSource;
  format: WeightFormat;
  /** int4 block size along K (MatMulNBits block_size). */
  blockSize: number;
  /** Linears with fewer input features than this stay fp32 (tiny layers gain nothing from int4). */
  minQuantK: number;
}

export function f32Tensor(t: Tensor) {
  return tensorData('float32', t.shape, t.data);
}

/** y = x · Wᵀ + b for checkpoint weight `${prefix}.weight` (N, K) and optional `${prefix}.bias` (N). */
export async function linear(ctx: EmitContext, s: Scope, name: string, x: Value, prefix: string, opts: { bias: boolean }): Promise<Value> {
  const W = await ctx.w.get(`${prefix}.weight`);
  if (W.shape.length !== 2) throw new Error(`${prefix}.weight: expected a 2-D Linear weight, got [${W.shape}]`);
  const [N, K] = W.shape;
  const at = s.at(name);
  let y: Value;
  if (ctx.format === 'q4' && K >= ctx.minQuantK) {
    const q = quantizeQ4(W.data, N, K, ctx.blockSize);
    const g = s.graph;
    const B = g.weight(`${prefix}.weight_Q4G${q.blockSize}`, { dtype: 'uint8', dims: [N, q.kBlocks, q.blockSize / 2], bytes: q.packed });
    const scales = g.weight(`${prefix}.weight_scale`, f32Bytes(q.scales, [N * q.kBlocks]));
    const zp = g.weight(`${prefix}.weight_zp`, { dtype: 'uint8', dims: [q.zeroPoints.length], bytes: q.zeroPoints });
    y = at.ms('MatMulNBits', 'MatMulNBits', [x, B, scales, zp], { K, N, bits: 4, block_size: q.blockSize, accuracy_level: 4 })[0];
  } else {
    const Wt = s.graph.weight(`${prefix}.weight`, f32Tensor(permute(W, [1, 0]))); // (K, N)
    y = at.op('MatMul', 'MatMul', [x, Wt]);
  }
  if (!opts.bias) return y;
  const b = s.graph.weight(`${prefix}.bias`, f32Tensor(await ctx.w.get(`${prefix}.bias`, [N])));
  return at.op('Add', 'Add', [y, b]);
}

function f32Bytes(a: Float32Array, dims: number[]) {
  return { dtype: 'float32' as const, dims, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
}
