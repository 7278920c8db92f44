// AssemblyScript: the int4 product y = x · Wᵀ (kernels.as.ts is the entry and has the arithmetic) over weights in
// the kernels' own layout, which packQ4 writes from MatMulNBits' at load, and the threaded job runner.
//
// Rows go in groups of four so that one SIMD dot gives four rows' sums for one token: the token's codes are
// broadcast, not reduced across lanes, and each weight block, unpacked once, serves up to four tokens. Against
// the one-row-at-a-time kernel before it, side by side on the decoder's shapes at 448 tokens, 2 threads, Node 20:
// 1.6–1.9× (relaxed SIMD), 1.3–1.45× (plain). Eight tokens, or the block's loop unrolled, spilled registers
// under V8 and ran slower than this. For G = ⌈N/4⌉ groups (a last partial group padded with zero codes, scales
// and zero points):
//   B  u8 (G, kb, 64)  per block 4 × 16 bytes: the low nibbles of bytes 16i … 16i+15 are code vector 2i, the high
//                      nibbles code vector 2i+1
//   S  f32 (G, kb, 4)  the four rows' block scales
//   Z  u8 (G, kb, 4)   their zero points
// Code vector c holds the four rows' codes of elements 4c … 4c+3 of the block:
//   relaxed SIMD: byte 4r + j is row r's element 4c + j; the relaxed dot with the token's four codes there,
//     broadcast, sums row r's products in lanes 2r, 2r+1 (i16) or lane r (i32 form).
//   plain SIMD: byte 2r + j is row r's element 4c + j and byte 8 + 2r + j its element 4c + 2 + j (j = 0, 1);
//     widened to i16, dot_i16x8_s with the token's pair of codes broadcast sums row r's in lane r.
import {
  GEMM_DOT_I16 as DOT_I16, GEMM_DOT_I32 as DOT_I32,
  GEMM_JOB_B as JOB_B, GEMM_JOB_BYTES as JOB_BYTES, GEMM_JOB_KB as JOB_KB, GEMM_JOB_M as JOB_M, GEMM_JOB_N as JOB_N,
  GEMM_JOB_S as JOB_S, GEMM_JOB_XQ as JOB_XQ, GEMM_JOB_XSC as JOB_XSC, GEMM_JOB_XSUM as JOB_XSUM, GEMM_JOB_Y as JOB_Y,
  GEMM_JOB_Z as JOB_Z,
} from './gemm-job';
import { XQ_BLOCK_BYTES, XQ_CODE_BYTES } from './quantize.as';

/** Tokens one pass over a group's weights serves (groupRows' accumulators). */
const TOKENS: i32 = 4;

/** Row (in its group) of byte k of a code vector. */
@inline function codeRow(k: i32): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? k >> 2 : (k & 7) >> 1;
}

/** The element (in its block) of byte k of code vector c. */
@inline function codeElement(c: i32, k: i32): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? (c << 2) + (k & 3) : (c << 2) + ((k >> 3) << 1) + (k & 1);
}

/** The code of byte k of code vector c of block b of group g, read from MatMulNBits' layout at src. */
@inline function sourceCode(src: usize, rowBytes: usize, g: i32, b: i32, c: i32, k: i32): i32 {
  const e = codeElement(c, k);
  const byte = <i32>load<u8>(src + <usize>((g << 2) + codeRow(k)) * rowBytes + (<usize>b << 4) + <usize>(e >> 1));
  return (byte >> ((e & 1) << 2)) & 15;
}

/**
 * `rows` (a multiple of 4) rows of int4 codes at src in MatMulNBits' layout (rows, kb, 16), byte j holding
 * elements 2j and 2j+1 low nibble first → B (rows/4, kb, 64) at dst, the layout above.
 */
export function packQ4(src: usize, rows: i32, kb: i32, dst: usize): void {
  const rowBytes = <usize>kb << 4;
  for (let g = 0; g < rows >> 2; g++)
    for (let b = 0; b < kb; b++) {
      const out = dst + (<usize>(g * kb + b) << 6);
      for (let o = 0; o < 64; o++) {
        const i = o >> 4, k = o & 15;
        store<u8>(out + <usize>o, <u8>(sourceCode(src, rowBytes, g, b, 2 * i, k) | (sourceCode(src, rowBytes, g, b, 2 * i + 1, k) << 4)));
      }
    }
}

/**
 * The high nibble of each byte: x86 has no byte shift, and V8 turns i8x16.shr_u into a word shift plus a mask it
 * builds anew each time; shifting words and masking with the low-nibble constant is the same, and cheaper.
 */
@inline function highNibbles(packed: v128): v128 {
  return v128.and(i16x8.shr_u(packed, 4), i8x16.splat(0x0f));
}

/** The low nibble of each byte. */
@inline function lowNibbles(packed: v128): v128 {
  return v128.and(packed, i8x16.splat(0x0f));
}

/**
 * acc + code vectors lo, hi (2i, 2i+1 of a block) · one token's codes of elements 8i … 8i+7, which start at x.
 * The DOT_I16 form keeps i16 pair sums (a block's 16 products a lane: 16 · 15 · 127 < 2^15); the others i32.
 */
@inline function dotPair(acc: v128, lo: v128, hi: v128, x: usize, form: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && form == DOT_I32)
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(x, 4), hi, i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(x), lo, acc));
  if (ASC_FEATURE_RELAXED_SIMD)
    return i16x8.add(acc, i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(x), lo), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(x, 4), hi)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(lo), v128.load32_splat(x)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(lo), v128.load32_splat(x, 4)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(hi), v128.load32_splat(x, 8)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(hi), v128.load32_splat(x, 12)));
}

/** Four u8 zero points at p as f32 lanes. */
@inline function zeroPoints4(p: usize): v128 {
  return f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
}

/**
 * y4 + one block's part of four rows' outputs for one token: xs · (scale · Σ code·xq − scale · zp · Σ xq), `acc`
 * the block's integer sums from dotPair, s4 the rows' scales, sz4 scales · zero points, xsc and xsum the token's.
 */
@inline function addBlock(y4: v128, acc: v128, s4: v128, sz4: v128, xsc: usize, xsum: usize, form: i32): v128 {
  const dots = ASC_FEATURE_RELAXED_SIMD && form != DOT_I32 ? i32x4.dot_i16x8_s(acc, i16x8.splat(1)) : acc;
  const sums = f32x4.convert_i32x4_s(v128.load32_splat(xsum));
  if (ASC_FEATURE_RELAXED_SIMD) // fused where the CPU has FMA: one rounding fewer, within what the tests allow either way
    return f32x4.relaxed_madd(f32x4.relaxed_nmadd(sz4, sums, f32x4.mul(s4, f32x4.convert_i32x4_s(dots))), v128.load32_splat(xsc), y4);
  const t = f32x4.sub(f32x4.mul(s4, f32x4.convert_i32x4_s(dots)), f32x4.mul(sz4, sums));
  return f32x4.add(y4, f32x4.mul(t, v128.load32_splat(xsc)));
}

/** The first `rows` lanes of v at y. */
@inline function storeRows(y: usize, v: v128, rows: i32): void {
  if (rows == 4) return v128.store(y, v);
  store<f32>(y, f32x4.extract_lane(v, 0));
  if (rows > 1) store<f32>(y, f32x4.extract_lane(v, 1), 4);
  if (rows > 2) store<f32>(y, f32x4.extract_lane(v, 2), 8);
}

/**
 * One group's four rows (`rows` of them real) for T ≤ TOKENS consecutive tokens (a constant at each call, so the
 * unused accumulators fold away): w, s, z the group's B, S, Z; xq, xsc, xsum the first token's; y its outputs.
 */
@inline function groupRows(w: usize, s: usize, z: usize, kb: i32, xq: usize, xsc: usize, xsum: usize, T: i32, form: i32, y: usize, N: i32, rows: i32): void {
  const xs = <usize>kb * XQ_BLOCK_BYTES, ss = <usize>kb << 2, ys = <usize>N << 2; // one token's codes, scales, outputs
  let y0 = f32x4.splat(0), y1 = y0, y2 = y0, y3 = y0;
  for (let b: usize = 0; b < <usize>kb; b++) {
    const wb = w + (b << 6), x = xq + b * XQ_BLOCK_BYTES;
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let i: usize = 0; i < 4; i++) {
      const packed = v128.load(wb + (i << 4));
      const lo = lowNibbles(packed), hi = highNibbles(packed);
      const xi = x + (i << 3) * XQ_CODE_BYTES;
      a0 = dotPair(a0, lo, hi, xi, form);
      if (T > 1) a1 = dotPair(a1, lo, hi, xi + xs, form);
      if (T > 2) a2 = dotPair(a2, lo, hi, xi + 2 * xs, form);
      if (T > 3) a3 = dotPair(a3, lo, hi, xi + 3 * xs, form);
    }
    const s4 = v128.load(s + (b << 4)), sz4 = f32x4.mul(s4, zeroPoints4(z + (b << 2)));
    const o = b << 2;
    y0 = addBlock(y0, a0, s4, sz4, xsc + o, xsum + o, form);
    if (T > 1) y1 = addBlock(y1, a1, s4, sz4, xsc + ss + o, xsum + ss + o, form);
    if (T > 2) y2 = addBlock(y2, a2, s4, sz4, xsc + 2 * ss + o, xsum + 2 * ss + o, form);
    if (T > 3) y3 = addBlock(y3, a3, s4, sz4, xsc + 3 * ss + o, xsum + 3 * ss + o, form);
  }
  storeRows(y, y0, rows);
  if (T > 1) storeRows(y + ys, y1, rows);
  if (T > 2) storeRows(y + 2 * ys, y2, rows);
  if (T > 3) storeRows(y + 3 * ys, y3, rows);
}

/**
 * y (M, N) f32 = x · Wᵀ for the quantized rows of x (quantizeRows) and an int4 weight W (N, K = kb·32) in the
 * layout above, row groups [g0, g1) only. Tokens are taken in tiles whose codes fit in L2, so each group's
 * weights are read once per tile (once in all at M = 1, the decode step), TOKENS at a time from L1.
 */
@inline function gemmRows(B: usize, S: usize, Z: usize, N: i32, kb: i32, xq: usize, xsc: usize, xsum: usize, M: i32, y: usize, g0: i32, g1: i32, form: i32): void {
  const tile = max<i32>(TOKENS, (256 * 1024) / (kb * <i32>XQ_BLOCK_BYTES) / TOKENS * TOKENS);
  const xs = <usize>kb * XQ_BLOCK_BYTES, ss = <usize>kb << 2, ys = <usize>N << 2;
  for (let m0 = 0; m0 < M; m0 += tile) {
    const m1 = min(M, m0 + tile);
    for (let g = g0; g < g1; g++) {
      const w = B + <usize>g * <usize>kb * 64, s = S + <usize>g * <usize>kb * 16, z = Z + <usize>g * <usize>kb * 4;
      const rows = min(4, N - 4 * g), yg = y + (<usize>g << 4);
      let m = m0;
      for (; m + TOKENS <= m1; m += TOKENS) {
        const t = <usize>m;
        groupRows(w, s, z, kb, xq + t * xs, xsc + t * ss, xsum + t * ss, TOKENS, form, yg + t * ys, N, rows);
      }
      for (; m < m1; m++) {
        const t = <usize>m;
        groupRows(w, s, z, kb, xq + t * xs, xsc + t * ss, xsum + t * ss, 1, form, yg + t * ys, N, rows);
      }
    }
  }
}

/** gemmRows compiled once per dot form, each with its form a constant (so no branch in the inner loops). */
function gemmRowsI16(B: usize, S: usize, Z: usize, N: i32, kb: i32, xq: usize, xsc: usize, xsum: usize, M: i32, y: usize, g0: i32, g1: i32): void {
  gemmRows(B, S, Z, N, kb, xq, xsc, xsum, M, y, g0, g1, DOT_I16);
}
function gemmRowsI32(B: usize, S: usize, Z: usize, N: i32, kb: i32, xq: usize, xsc: usize, xsum: usize, M: i32, y: usize, g0: i32, g1: i32): void {
  gemmRows(B, S, Z, N, kb, xq, xsc, xsum, M, y, g0, g1, DOT_I32);
}

/**
 * Several products in one call (q, k and v of one input; gate and up): `count` jobs at `jobs`, each a struct of
 * gemmRows' arguments at the offsets of gemm-job.ts, which the host writes from, all in one dot `form`. Threads
 * split the jobs' row groups taken end to end, so one wake-up of the helper threads serves them all.
 */
export function gemmQ4(jobs: usize, count: i32, form: i32, thread: i32, threads: i32): void {
  let total: i64 = 0;
  for (let j = 0; j < count; j++) total += <i64>((load<i32>(jobs + <usize>j * JOB_BYTES + JOB_N) + 3) >> 2);
  const from = (total * thread) / threads, to = (total * (thread + 1)) / threads;
  let start: i64 = 0;
  for (let j = 0; j < count; j++) {
    const job = jobs + <usize>j * JOB_BYTES;
    const N = load<i32>(job, JOB_N), G = (N + 3) >> 2;
    const g0 = <i32>(max<i64>(from, start) - start), g1 = <i32>(min<i64>(to, start + G) - start);
    if (g0 < g1) {
      const B = load<u32>(job, JOB_B), S = load<u32>(job, JOB_S), Z = load<u32>(job, JOB_Z), kb = load<i32>(job, JOB_KB);
      const xq = load<u32>(job, JOB_XQ), xsc = load<u32>(job, JOB_XSC), xsum = load<u32>(job, JOB_XSUM);
      if (ASC_FEATURE_RELAXED_SIMD && form == DOT_I32) gemmRowsI32(B, S, Z, N, kb, xq, xsc, xsum, load<i32>(job, JOB_M), load<u32>(job, JOB_Y), g0, g1);
      else gemmRowsI16(B, S, Z, N, kb, xq, xsc, xsum, load<i32>(job, JOB_M), load<u32>(job, JOB_Y), g0, g1);
    }
    start += G;
  }
}
