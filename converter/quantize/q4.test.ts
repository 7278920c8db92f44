import { describe, expect, it } from 'vitest';
import { roundF16 } from '../../src/onnx/f16.ts';
import { tensor } from '../read/tensor.ts';
import type { WeightSource } from '../read/weights.ts';
import { dequantizeQ4, quantizeQ4, quantizeQ4From, type Q4Weight } from './q4.ts';
import { uniformFloats } from '../../fixtures/random.ts';

/** Deterministic values in [-1, 1), with some exact zeros. */
function randomWeights(n: number, seed: number): Float32Array {
  return uniformFloats(n, seed).map((v, i) => (i % 11 === 0 ? 0 : v));
}

/** The 4-bit code and zero point of element (n, k), read back from the packed layout. */
function code(q: Q4Weight, n: number, k: number): { v: number; zp: number } {
  const b = Math.floor(k / q.blockSize), i = k % q.blockSize;
  const byte = q.packed[(n * q.kBlocks + b) * (q.blockSize / 2) + (i >> 1)];
  const zb = q.zeroPoints[n * Math.ceil(q.kBlocks / 2) + (b >> 1)];
  return { v: i & 1 ? byte >> 4 : byte & 15, zp: b & 1 ? zb >> 4 : zb & 15 };
}

describe('quantizeQ4 / dequantizeQ4', () => {
  it.each([
    [3, 64, 32],
    [4, 40, 32], // K not a multiple of the block
    [2, 100, 16],
  ])('round trip of (%i, %i) at block %i is within scale/2 per element', (N, K, block) => {
    const w = randomWeights(N * K, N * 1000 + K);
    const q = quantizeQ4(w, N, K, block);
    expect(q.kBlocks).toBe(Math.ceil(K / block));
    expect(q.packed.length).toBe(N * q.kBlocks * (block / 2));
    expect(q.scales.length).toBe(N * q.kBlocks);
    expect(q.zeroPoints.length).toBe(N * Math.ceil(q.kBlocks / 2));
    const d = dequantizeQ4(q);
    expect(d.length).toBe(N * K);
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const scale = q.scales[n * q.kBlocks + Math.floor(k / block)];
        const err = Math.abs(d[n * K + k] - w[n * K + k]);
        expect(err, `(${n}, ${k})`).toBeLessThanOrEqual((scale / 2) * (1 + 1e-6));
        if (w[n * K + k] === 0) expect(d[n * K + k]).toBe(0); // the block range always contains 0 exactly
      }
  });

  it('pads K to a whole block with codes equal to the zero point (dequantized zeros)', () => {
    const N = 3, K = 40, block = 32;
    const q = quantizeQ4(randomWeights(N * K, 7), N, K, block);
    const padded = { ...q, K: q.kBlocks * block };
    for (let n = 0; n < N; n++)
      for (let k = K; k < q.kBlocks * block; k++) {
        const { v, zp } = code(padded, n, k);
        expect(v).toBe(zp);
      }
    const full = dequantizeQ4(padded);
    for (let n = 0; n < N; n++) expect(Array.from(full.subarray(n * padded.K + K, (n + 1) * padded.K))).toEqual(new Array(padded.K - K).fill(0));
  });

  it('keeps an all-zero block exact and rejects unusable block sizes', () => {
    const w = new Float32Array(64);
    w.fill(0.5, 32);
    const q = quantizeQ4(w, 1, 64, 32);
    const d = dequantizeQ4(q);
    expect(Array.from(d.subarray(0, 32))).toEqual(new Array(32).fill(0));
    for (const v of d.subarray(32)) expect(Math.abs(v - 0.5)).toBeLessThanOrEqual(q.scales[1] / 2);
    expect(() => quantizeQ4(w, 1, 64, 15)).toThrow(/block size 15/);
    expect(() => quantizeQ4(w, 1, 64, 8)).toThrow(/block size 8/);
  });

  it('stores scales that float16 holds exactly, rounded up so the block range still fits in 16 levels', () => {
    const N = 5, K = 96, block = 32;
    const w = randomWeights(N * K, 11).map((v, i) => v * 10 ** ((i % 7) - 4)); // ranges from 1e-4 to 100
    const q = quantizeQ4(w, N, K, block);
    for (let n = 0; n < N; n++)
      for (let b = 0; b < q.kBlocks; b++) {
        const s = q.scales[n * q.kBlocks + b];
        expect(roundF16(s)).toBe(s);
        let lo = 0, hi = 0;
        for (let k = b * block; k < (b + 1) * block; k++) { lo = Math.min(lo, w[n * K + k]); hi = Math.max(hi, w[n * K + k]); }
        expect(s * 15).toBeGreaterThanOrEqual(Math.fround(hi - lo));
        expect(s * 15).toBeLessThanOrEqual((hi - lo) * (1 + 2 ** -10));
      }
    expect(() => quantizeQ4(Float32Array.of(-1e6, 1e6), 1, 2, 16)).toThrow(/row 0 block 0 .* too wide for a float16 scale/);
  });
});

describe('quantizeQ4From', () => {
  it('reading in row chunks gives the whole weight\'s bytes, for a chunk size that does not divide N', async () => {
    const N = 37;
    const K = 70; // not a whole number of blocks: the last block of each row is zero-padded
    const data = randomWeights(N * K, 5);
    const chunks: [number, number][] = [];
    const w: WeightSource = {
      has: () => true,
      shape: () => [N, K],
      names: () => ['w'],
      get: async () => tensor(data, [N, K]),
      getRows: async (_name, begin, end) => {
        chunks.push([begin, end]);
        return tensor(data.slice(begin * K, end * K), [end - begin, K]);
      },
    };
    const whole = quantizeQ4(data, N, K, 32);
    const parts = await quantizeQ4From(w, 'w', N, K, 32, 8 * K * 4); // 8 rows a chunk
    expect(chunks).toEqual([[0, 8], [8, 16], [16, 24], [24, 32], [32, 37]]);
    expect(parts).toEqual(whole);
    const small = await quantizeQ4From(w, 'w', N, K, 32, N * K * 4); // fits: read whole
    expect(small).toEqual(whole);
    expect(chunks).toHaveLength(5);
  });
});
