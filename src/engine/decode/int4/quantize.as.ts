// AssemblyScript: activations rounded to int8 per block of 32, the form the int4 product and attention's queries
// take (kernels.as.ts is the entry and has the weight layout and the arithmetic).
import { absMax, hmax, roundToInt4 } from './simd.as';

/** Codes of one activation block, in element order (packQ4 lays the weights' codes out to match). */
export const XQ_CODE_BYTES: usize = ASC_FEATURE_RELAXED_SIMD ? 1 : 2; // i8 for the relaxed dot, else i16
export const XQ_BLOCK_BYTES: usize = 32 * XQ_CODE_BYTES;

/** One activation code at `at`, in this build's code size. */
@inline export function storeCode(at: usize, code: i32): void {
  if (ASC_FEATURE_RELAXED_SIMD) store<i8>(at, <i8>code);
  else store<i16>(at, <i16>code);
}

/** XQ_BLOCK_BYTES, for the host's allocations. */
export function xqBlockBytes(): i32 {
  return <i32>XQ_BLOCK_BYTES;
}

/**
 * One block of 32 floats at x → its codes, its scale and its code sum: quantizeRows for whole blocks, in SIMD (a decode step quantizes ~620K activations,
 * which one at a time took ~1 ms of it).
 */
@inline function quantizeBlock(x: usize, codes: usize, scale: usize, sum: usize): void {
  const v0 = v128.load(x), v1 = v128.load(x, 16), v2 = v128.load(x, 32), v3 = v128.load(x, 48);
  const v4 = v128.load(x, 64), v5 = v128.load(x, 80), v6 = v128.load(x, 96), v7 = v128.load(x, 112);
  // pmax (a < b ? b : a) is one x86 maxps; max, which must order ±0 and pass NaNs on, is several instructions
  let m = f32x4.pmax(f32x4.abs(v0), f32x4.abs(v1));
  m = f32x4.pmax(m, f32x4.pmax(f32x4.abs(v2), f32x4.abs(v3)));
  m = f32x4.pmax(m, f32x4.pmax(f32x4.abs(v4), f32x4.abs(v5)));
  m = f32x4.pmax(m, f32x4.pmax(f32x4.abs(v6), f32x4.abs(v7)));
  const amax = hmax(m);
  const inv = f32x4.splat(amax > 0 ? 127 / amax : 0);
  const q0 = roundToInt4(f32x4.mul(v0, inv)), q1 = roundToInt4(f32x4.mul(v1, inv)), q2 = roundToInt4(f32x4.mul(v2, inv)), q3 = roundToInt4(f32x4.mul(v3, inv));
  const q4 = roundToInt4(f32x4.mul(v4, inv)), q5 = roundToInt4(f32x4.mul(v5, inv)), q6 = roundToInt4(f32x4.mul(v6, inv)), q7 = roundToInt4(f32x4.mul(v7, inv));
  const total = i32x4.add(i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3)), i32x4.add(i32x4.add(q4, q5), i32x4.add(q6, q7)));
  store<i32>(sum, i32x4.extract_lane(total, 0) + i32x4.extract_lane(total, 1) + i32x4.extract_lane(total, 2) + i32x4.extract_lane(total, 3));
  store<f32>(scale, amax / 127);
  // elements 0–7, 8–15, 16–23, 24–31 as i16
  const w0 = i16x8.narrow_i32x4_s(q0, q1), w1 = i16x8.narrow_i32x4_s(q2, q3), w2 = i16x8.narrow_i32x4_s(q4, q5), w3 = i16x8.narrow_i32x4_s(q6, q7);
  if (ASC_FEATURE_RELAXED_SIMD) {
    v128.store(codes, i8x16.narrow_i16x8_s(w0, w1));
    v128.store(codes, i8x16.narrow_i16x8_s(w2, w3), 16);
  } else {
    v128.store(codes, w0);
    v128.store(codes, w1, 16);
    v128.store(codes, w2, 32);
    v128.store(codes, w3, 48);
  }
}

/**
 * Rows of x (M, K) f32 → per block of 32 (the tail past K reads as 0): codes xq (M, kb, 32), scales xsc (M, kb)
 * f32 and code sums xsum (M, kb) i32.
 */
export function quantizeRows(x: usize, M: i32, K: i32, kb: i32, xq: usize, xsc: usize, xsum: usize): void {
  for (let m = 0; m < M; m++) {
    const row = x + <usize>m * <usize>K * 4;
    for (let b = 0; b < kb; b++) {
      const k0 = b * 32;
      const n = min(32, K - k0);
      const o = <usize>(m * kb + b);
      const codes = xq + o * XQ_BLOCK_BYTES;
      if (n == 32) {
        quantizeBlock(row + <usize>k0 * 4, codes, xsc + o * 4, xsum + o * 4);
        continue;
      }
      // the last block of a row whose length is no multiple of 32 (never in Qwen2.5's shapes)
      const amax = absMax(row + <usize>k0 * 4, n);
      const inv: f32 = amax > 0 ? 127 / amax : 0;
      let sum: i32 = 0;
      for (let i = 0; i < 32; i++) {
        const v: i32 = i < n ? <i32>nearest<f32>(load<f32>(row + <usize>(k0 + i) * 4) * inv) : 0;
        storeCode(codes + <usize>i * XQ_CODE_BYTES, v);
        sum += v;
      }
      store<f32>(xsc + o * 4, amax / 127);
      store<i32>(xsum + o * 4, sum);
    }
  }
}
