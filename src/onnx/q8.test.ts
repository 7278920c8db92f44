import { describe, expect, it } from 'vitest';
import { dequantizeQ8, quantizeQ8 } from './q8.ts';
import { uniformFloats as randomWeights } from '../../fixtures/random.ts';

describe('quantizeQ8 / dequantizeQ8', () => {
  it('round trip is within scale/2 per element, codes in [-127, 127], the row maximum exact', () => {
    const N = 5, K = 37;
    const w = randomWeights(N * K, 3);
    const q = quantizeQ8(w, N, K);
    expect(q.data.length).toBe(K * N);
    expect(q.scales.length).toBe(N);
    const d = dequantizeQ8(q);
    for (let n = 0; n < N; n++) {
      let argmax = 0;
      for (let k = 0; k < K; k++) {
        expect(Math.abs(d[n * K + k] - w[n * K + k]), `(${n}, ${k})`).toBeLessThanOrEqual((q.scales[n] / 2) * (1 + 1e-6));
        expect(Math.abs(q.data[k * N + n])).toBeLessThanOrEqual(127);
        if (Math.abs(w[n * K + k]) > Math.abs(w[n * K + argmax])) argmax = k;
      }
      expect(Math.abs(q.data[argmax * N + n])).toBe(127);
    }
  });

  it('stores the weight transposed: column n of B is output channel n', () => {
    const w = Float32Array.from([1, 0, -1, 0.5, 0.25, 0]); // (N=2, K=3)
    const q = quantizeQ8(w, 2, 3);
    expect(Array.from(q.data)).toEqual([127, 127, 0, 64, -127, 0]); // (K=3, N=2)
  });

  it('an all-zero row quantizes to zeros', () => {
    const q = quantizeQ8(new Float32Array(8), 2, 4);
    expect(Array.from(dequantizeQ8(q))).toEqual(new Array(8).fill(0));
  });

  it('names a weight whose size does not match its shape', () => {
    expect(() => quantizeQ8(new Float32Array(5), 2, 3)).toThrow(/5 values for a \(2, 3\) weight/);
  });
});
