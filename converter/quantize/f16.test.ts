import { describe, expect, it } from 'vitest';
import { roundF16 } from '../../src/onnx/f16.ts';
import type { WeightSource } from '../read/checkpoint.ts';
import { f16KernelsRounded } from './f16.ts';

describe('binary16 conv kernels', () => {
  it('f16KernelsRounded rounds the 4-D conv kernels binary16 holds, nothing else', async () => {
    const ts: Record<string, { data: Float32Array; shape: number[] }> = {
      'conv.weight': { data: Float32Array.of(0.1, 0.2), shape: [2, 1, 1, 1] },
      'big.weight': { data: Float32Array.of(0.1, 1e5), shape: [2, 1, 1, 1] },
      'fc.weight': { data: Float32Array.of(0.1, 0.2), shape: [1, 2] },
      'conv.bias': { data: Float32Array.of(0.1), shape: [1] },
    };
    const w: WeightSource = { has: (n) => n in ts, shape: (n) => ts[n]?.shape, names: () => Object.keys(ts), get: async (n) => ts[n] };
    const r = f16KernelsRounded(w);
    expect(Array.from((await r.get('conv.weight')).data)).toEqual([roundF16(0.1), roundF16(0.2)]);
    for (const n of ['big.weight', 'fc.weight', 'conv.bias']) expect((await r.get(n)).data).toBe(ts[n].data);
  });});
