// The one place that decides how weights become ONNX for each weight format. A torch Linear:
//   fp32: MatMul(x, Wᵀ) [+ Add b]                      — W stored transposed (K, N) under its checkpoint name
//   q4:   MatMulNBits(x, B, Cast(scales), zero_points) [+ Add b] — int4 blocks along K, float16-stored scales,
//         float32 activations
//   q8:   DynamicQuantizeMatMul(x, B, scale) [+ Add b]       — int8 per output channel, activations quantized
//         to uint8 per call; the fast format on ORT-web's wasm CPU EP (no WebGPU kernel: a wasm-only format)
// and a conv kernel (`denseWeight`): float32 in fp32, Cast(float16 kernel) in the compressed formats.
// Every float16 initializer is read only through a Cast to float32, a constant subgraph onnxruntime folds when
// it builds the session: the file holds 2 bytes a value, the running graph the same float32 tensors as
// before (so no kernel ever sees float16, which WebGPU devices without shader-f16 could not run).
// Every emitter calls `linear()` / `denseWeight()` so a new format is one change here.
// The float16 dtypes reuse these formats — fp16 = 'fp32', q4f16 = 'q4' (converter/convert.ts dtypeBuild) — and
// the float16 pass (src/onnx/float16.ts) turns the finished graph's float32 into float16: it stores every float32
// weight as binary16 and drops the Casts to float32 above, so q4f16's MatMulNBits reads float16 activations
// and the float16 scales directly.

import type { Scope, Value } from '../../src/onnx/graph.ts';
import { tensorData } from '../../src/onnx/graph.ts';
import type { WeightSource } from '../read/checkpoint.ts';
import { f16Bytes } from '../../src/onnx/f16.ts';
import { isF16Kernel } from '../quantize/f16.ts';
import { quantizeQ4From, type Q4Weight } from '../quantize/q4.ts';
import { quantizeQ8 } from '../../src/onnx/q8.ts';
import { transposed, type Tensor } from '../read/tensor.ts';
import { DataType } from '../../src/model-folder/onnx-types.ts';
import { q4InitializerNames } from '../../src/model-folder/graph-io.ts';

export type WeightFormat = 'fp32' | 'q4' | 'q8';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['fp32', 'q4', 'q8'];

export interface EmitContext {
  w: WeightSource;
  format: WeightFormat;
  /** int4 block size along K (MatMulNBits block_size). */
  blockSize: number;
  /** Linears with fewer input features than this stay fp32 (tiny layers gain nothing from int4/int8). */
  minQuantK: number;
  /** A q4 weight larger than this in float32 is read in row chunks (where the source can); default MAX_READ_BYTES. */
  maxReadBytes?: number;
}

/** 64 MiB: the 151936×2048 embedding (1.24 GB in float32) is read in 19 parts instead of whole. */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

/** Checkpoint weight `name` (N, K) quantized to q4, read in row chunks when large (quantizeQ4From). */
export function readQ4(ctx: EmitContext, name: string, N: number, K: number): Promise<Q4Weight> {
  return quantizeQ4From(ctx.w, name, N, K, ctx.blockSize, ctx.maxReadBytes ?? MAX_READ_BYTES);
}

export function f32Tensor(t: Tensor) {
  return tensorData('float32', t.shape, t.data);
}

/** y = x · Wᵀ + b for checkpoint weight `${prefix}.weight` (N, K) and optional `${prefix}.bias` (N). */
export async function linear(ctx: EmitContext, s: Scope, name: string, x: Value, prefix: string, opts: { bias: boolean }): Promise<Value> {
  const shape = ctx.w.shape(`${prefix}.weight`);
  if (shape && shape.length !== 2) throw new Error(`${prefix}.weight: expected a 2-D Linear weight, got [${shape}]`);
  const at = s.at(name);
  let y: Value;
  if (shape && ctx.format === 'q4' && shape[1] >= ctx.minQuantK) {
    const [N, K] = shape;
    const [B, scales, zp] = q4Initializers(at, prefix, await readQ4(ctx, `${prefix}.weight`, N, K));
    y = at.ms('MatMulNBits', 'MatMulNBits', [x, B, scales, zp], { K, N, bits: 4, block_size: ctx.blockSize, accuracy_level: 4 })[0];
    return opts.bias ? bias(ctx, at, prefix, N, y) : y;
  }
  const W = await ctx.w.get(`${prefix}.weight`);
  if (W.shape.length !== 2) throw new Error(`${prefix}.weight: expected a 2-D Linear weight, got [${W.shape}]`);
  const [N, K] = W.shape;
  if (ctx.format === 'q8' && K >= ctx.minQuantK) {
    const q = quantizeQ8(W.data, N, K);
    const B = s.graph.weight(`${prefix}.weight_int8`, { dtype: 'int8', dims: [K, N], bytes: new Uint8Array(q.data.buffer, q.data.byteOffset, q.data.byteLength) });
    y = at.ms('DynamicQuantizeMatMul', 'DynamicQuantizeMatMul', [x, B, s.graph.weight(`${prefix}.weight_scale`, f32Bytes(q.scales, [N]))])[0];
  } else {
    const Wt = s.graph.weight(`${prefix}.weight`, f32Tensor(transposed(W))); // (K, N)
    y = at.op('MatMul', 'MatMul', [x, Wt]);
  }
  return opts.bias ? bias(ctx, at, prefix, N, y) : y;
}

async function bias(ctx: EmitContext, at: Scope, prefix: string, N: number, y: Value): Promise<Value> {
  const b = at.graph.weight(`${prefix}.bias`, f32Tensor(await ctx.w.get(`${prefix}.bias`, [N])));
  return at.op('Add', 'Add', [y, b]);
}

/**
 * MatMulNBits' inputs for a Q4Weight, initializers under `${prefix}.weight_*`: B (N, k_blocks, block/2),
 * scales (N·k_blocks) stored float16 and Cast to float32 at `at`, packed zero points (N·⌈k_blocks/2⌉).
 * embed_tokens (decoder.ts emitQ4Rows) stores the same bytes under the same names, so a tied lm_head shares them.
 */
export function q4Initializers(at: Scope, prefix: string, q: Q4Weight): [Value, Value, Value] {
  const { N, kBlocks, blockSize } = q;
  const g = at.graph;
  const names = q4InitializerNames(prefix, blockSize);
  const scales = g.weight(names.scales, { dtype: 'float16', dims: [N * kBlocks], bytes: f16Bytes(q.scales) });
  return [
    g.weight(names.codes, { dtype: 'uint8', dims: [N, kBlocks, blockSize / 2], bytes: q.packed }),
    at.op('Cast', 'Cast_scale', [scales], { to: DataType.float32 }),
    g.weight(names.zeroPoints, { dtype: 'uint8', dims: [N * Math.ceil(kBlocks / 2)], bytes: q.zeroPoints }),
  ];
}

/**
 * A weight that is not a Linear's, checkpoint `name` (a conv kernel): float32 in the fp32 format; float16 behind
 * a Cast in the compressed formats when f16.ts isF16Kernel says it is a kernel binary16 holds. Their rounding
 * (≤ 2⁻¹¹ relative) is far below int4's (≈ 8% RMS), and these kernels are most of the vision towers' non-Linear bytes.
 */
export function denseWeight(ctx: EmitContext, at: Scope, name: string, t: Tensor): Value {
  if (ctx.format === 'fp32' || !isF16Kernel(name, t.shape, t.data)) return at.graph.weight(name, f32Tensor(t));
  const half = at.graph.weight(name, { dtype: 'float16', dims: [...t.shape], bytes: f16Bytes(t.data) });
  return at.op('Cast', 'Cast_weight', [half], { to: DataType.float32 });
}

function f32Bytes(a: Float32Array, dims: number[]) {
  return { dtype: 'float32' as const, dims, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
}
