// Block-wise asymmetric int4 (round-to-nearest) in the layout of com.microsoft MatMulNBits:
//   B      uint8 (N, k_blocks, block/2)  — two 4-bit values a byte, low nibble first
//   scales float (N · k_blocks), each a binary16 value (stored as float16, f16.ts; rounded up so that 16 levels
//          still span the block's range)
//   zero_points uint8 (N · ceil(k_blocks/2)) — packed 4-bit, low nibble first
// and dequantized value = (q − zp) · scale. K is zero-padded up to a whole number of blocks.

import { mapWeights, type WeightSource } from '../read/weights.ts';
import { ceilF16, F16_MAX } from '../../src/onnx/f16.ts';

export interface Q4Weight {
  N: number;
  K: number;
  blockSize: number;
  kBlocks: number;
  packed: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array;
}

/** Quantizes a torch Linear weight W (N, K), row-major, along K. */
export function quantizeQ4(w: Float32Array, N: number, K: number, blockSize = 32): Q4Weight {
  if (blockSize % 2 || blockSize < 16) throw new Error(`q4: block size ${blockSize} must be an even number ≥ 16`);
  const kBlocks = Math.ceil(K / blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(N * kBlocks * half);
  const scales = new Float32Array(N * kBlocks);
  const zeroPoints = new Uint8Array(N * Math.ceil(kBlocks / 2));
  const q = new Uint8Array(blockSize);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      // The range always includes 0 so that zero padding and exact zeros stay exact.
      let lo = 0, hi = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[n * K + k];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const scale = ceilF16((hi - lo) / 15) || 1;
      if (scale > F16_MAX) throw new Error(`q4: row ${n} block ${b} spans [${lo}, ${hi}], too wide for a float16 scale`);
      const zp = Math.min(15, Math.max(0, Math.round(-lo / scale)));
      for (let i = 0; i < blockSize; i++) {
        const k = k0 + i;
        const v = k < k1 ? w[n * K + k] : 0;
        q[i] = Math.min(15, Math.max(0, Math.round(v / scale) + zp));
      }
      const o = (n * kBlocks + b) * half;
      for (let i = 0; i < half; i++) packed[o + i] = q[2 * i] | (q[2 * i + 1] << 4);
      scales[n * kBlocks + b] = scale;
      const zi = n * Math.ceil(kBlocks / 2) + (b >> 1);
      zeroPoints[zi] |= b & 1 ? zp << 4 : zp;
    }
  }
  return { N, K, blockSize, kBlocks, packed, scales, zeroPoints };
}

/**
 * Quantizes the source's weight `name` (N, K), reading it whole, or in chunks of rows when its float32 form is
 * over `maxReadBytes` and the source reads rows: q4 rows are independent (blocks run along K), so the chunks'
 * results laid end to end are byte for byte the whole weight's.
 */
export async function quantizeQ4From(w: WeightSource, name: string, N: number, K: number, blockSize: number, maxReadBytes: number): Promise<Q4Weight> {
  if (!w.getRows || N * K * 4 <= maxReadBytes) return quantizeQ4((await w.get(name, [N, K])).data, N, K, blockSize);
  const kBlocks = Math.ceil(K / blockSize);
  const zpRow = Math.ceil(kBlocks / 2);
  const out: Q4Weight = { N, K, blockSize, kBlocks, packed: new Uint8Array((N * kBlocks * blockSize) / 2), scales: new Float32Array(N * kBlocks), zeroPoints: new Uint8Array(N * zpRow) };
  const rows = Math.max(1, Math.floor(maxReadBytes / (K * 4)));
  for (let r = 0; r < N; r += rows) {
    const end = Math.min(N, r + rows);
    const part = quantizeQ4((await w.getRows(name, r, end)).data, end - r, K, blockSize);
    out.packed.set(part.packed, (r * kBlocks * blockSize) / 2);
    out.scales.set(part.scales, r * kBlocks);
    out.zeroPoints.set(part.zeroPoints, r * zpRow);
  }
  return out;
}

/** The float weight (N, K) a Q4Weight stands for — what MatMulNBits multiplies by. */
export function dequantizeQ4(q: Q4Weight): Float32Array {
  const { N, K, blockSize, kBlocks, packed, scales, zeroPoints } = q;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const i = k % blockSize;
      const byte = packed[(n * kBlocks + b) * (blockSize / 2) + (i >> 1)];
      const v = i & 1 ? byte >> 4 : byte & 15;
      const zb = zeroPoints[n * Math.ceil(kBlocks / 2) + (b >> 1)];
      const zp = b & 1 ? zb >> 4 : zb & 15;
      out[n * K + k] = (v - zp) * scales[n * kBlocks + b];
    }
  return out;
}

/**
 * `w` as a q4 model sees it: every 2-D `*.weight` with K ≥ minQuantK replaced by dequantize(quantize(W)), the
 * weights the int4 graph actually multiplies by. Running the float reference on this isolates the graph's own
 * error from the quantization error.
 */
export function q4RoundTripped(w: WeightSource, blockSize: number, minQuantK: number): WeightSource {
  return mapWeights(w, (name, t) => {
    if (t.shape.length !== 2 || !name.endsWith('.weight') || t.shape[1] < minQuantK) return t;
    const [N, K] = t.shape;
    return { data: dequantizeQ4(quantizeQ4(t.data, N, K, blockSize)), shape: t.shape };
  });
}
