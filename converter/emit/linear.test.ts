import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/onnx/graph.ts';
import { dequantizeQ4, quantizeQ4 } from '../quantize/q4.ts';
import { dequantizeQ8, quantizeQ8 } from '../../src/onnx/q8.ts';
import type { WeightSource } from '../read/checkpoint.ts';
import { linear as linearRef, tensor, type Tensor } from '../../reference/tensor.ts';
import { expectClose } from '../../src/testing/close.ts';
import { f32, runModel } from '../../src/testing/ort.ts';
import { linear, type WeightFormat } from './linear.ts';
import { uniformFloats as seeded } from '../../fixtures/random.ts';

function memoryWeights(ts: Record<string, Tensor>): WeightSource {
  return {
    has: (n) => n in ts,
    shape: (n) => ts[n]?.shape,
    names: () => Object.keys(ts),
    async get(n, shape) {
      const t = ts[n];
      if (!t) throw new Error(`missing ${n}`);
      if (shape && shape.join() !== t.shape.join()) throw new Error(`${n}: shape [${t.shape}] ≠ [${shape}]`);
      return t;
    },
  };
}

const N = 6, K = 40, BLOCK = 32; // K not a multiple of the block: MatMulNBits reads zero padding
const W = tensor(seeded(N * K, 1), [N, K]);
const b = tensor(seeded(N, 2), [N]);
const x = tensor(seeded(2 * 3 * K, 3), [2, 3, K]);

async function runLinear(format: WeightFormat, minQuantK: number, bias: boolean): Promise<Float32Array> {
  const g = new Graph('linear');
  const xin = g.input('x', 'float32', [2, 3, K]);
  const ctx = { w: memoryWeights({ 'fc.weight': W, 'fc.bias': b }), format, blockSize: BLOCK, minQuantK };
  g.output(await linear(ctx, g.at('/fc'), 'fc', xin, 'fc', { bias }), 'y', 'float32', [2, 3, N]);
  const out = await runModel(g.encode(), { x: f32(x.data, [2, 3, K]) });
  expect(out.y.dims).toEqual([2, 3, N]);
  return out.y.data as Float32Array;
}

describe('linear()', () => {
  it('fp32 equals reference linear, with and without bias', async () => {
    expectClose(await runLinear('fp32', 0, true), linearRef(x, W, b).data, 1e-6, 'fp32 + bias');
    expectClose(await runLinear('fp32', 0, false), linearRef(x, W).data, 1e-6, 'fp32');
  });

  it('q4 (MatMulNBits) equals reference linear on the dequantized weight', async () => {
    const Wq = tensor(dequantizeQ4(quantizeQ4(W.data, N, K, BLOCK)), [N, K]);
    const y = await runLinear('q4', 0, true);
    expectClose(y, linearRef(x, Wq, b).data, 1e-6, 'q4 + bias');
    expect(Array.from(y)).not.toEqual(Array.from(linearRef(x, W, b).data)); // really quantized
  });

  it('q4 keeps Linears with K below minQuantK in fp32', async () => {
    expectClose(await runLinear('q4', K + 1, true), linearRef(x, W, b).data, 1e-6, 'q4 below minQuantK');
  });

  it('q8 (DynamicQuantizeMatMul) equals reference linear on the dequantized weight, up to activation rounding', async () => {
    const Wq = tensor(dequantizeQ8(quantizeQ8(W.data, N, K)), [N, K]);
    const y = await runLinear('q8', 0, true);
    const ref = linearRef(x, Wq, b).data;
    // x is quantized per tensor to uint8 with a range that includes 0: each element moves by at most half a
    // step, so output n moves by at most Σ_k |Wq[n, k]| · step/2 (plus float rounding).
    let lo = 0, hi = 0;
    for (const v of x.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const halfStep = (hi - lo) / 255 / 2;
    for (let i = 0; i < y.length; i++) {
      const n = i % N;
      let l1 = 0;
      for (let k = 0; k < K; k++) l1 += Math.abs(Wq.data[n * K + k]);
      expect(Math.abs(y[i] - ref[i]), `y[${i}]`).toBeLessThanOrEqual(l1 * halfStep * 1.001 + 1e-5);
    }
    expect(Array.from(y)).not.toEqual(Array.from(linearRef(x, W, b).data));
  });

  it('q8 keeps Linears with K below minQuantK in fp32', async () => {
    expectClose(await runLinear('q8', K + 1, false), linearRef(x, W).data, 1e-6, 'q8 below minQuantK');
  });
});
