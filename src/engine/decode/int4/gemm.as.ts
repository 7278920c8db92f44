// AssemblyScript: the int4 product y = x · Wᵀ (kernels.as.ts is the entry and has the weight layout and the
// arithmetic): one token's dot with a weight row, two tokens' at once for the prefill, and the threaded job runner.
import {
  GEMM_DOT_I16 as DOT_I16, GEMM_DOT_I32 as DOT_I32,
  GEMM_JOB_B as JOB_B, GEMM_JOB_BYTES as JOB_BYTES, GEMM_JOB_KB as JOB_KB, GEMM_JOB_M as JOB_M, GEMM_JOB_N as JOB_N,
  GEMM_JOB_S as JOB_S, GEMM_JOB_XQ as JOB_XQ, GEMM_JOB_XSC as JOB_XSC, GEMM_JOB_XSUM as JOB_XSUM, GEMM_JOB_Y as JOB_Y,
  GEMM_JOB_Z as JOB_Z,
} from './gemm-job';
import { XQ_BLOCK_BYTES } from './quantize.as';
import { hsum } from './simd.as';

/**
 * The high nibble of each byte: x86 has no byte shift, and V8 turns i8x16.shr_u into a word shift plus a mask it
 * builds anew each time; shifting words and masking with the low-nibble constant is the same, and cheaper.
 */
@inline function highNibbles(packed: v128): v128 {
  return v128.and(i16x8.shr_u(packed, 4), i8x16.splat(0x0f));
}

/** The low nibble of each byte: a block's even elements 0, 2, …, 30. */
@inline function lowNibbles(packed: v128): v128 {
  return v128.and(packed, i8x16.splat(0x0f));
}

/**
 * Σ code·xq over one block, as 4 partial i32 sums: `lo`, `hi` the block's codes (lowNibbles, highNibbles of its
 * 16 bytes), `codes` its activation block. On relaxed SIMD in either of two forms with the same exact sums
 * (`form`, dot-form.ts): two i16 dots, added and widened, or two i32 dot-accumulates. Plain SIMD has one.
 */
@inline function blockDot(lo: v128, hi: v128, codes: usize, form: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && form == DOT_I32)
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(codes, 16), hi, i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(codes), lo, i32x4.splat(0)));
  if (ASC_FEATURE_RELAXED_SIMD) // i32x4.dot with ones sums lane pairs as extadd_pairwise does, in fewer x86 instructions under V8
    return i32x4.dot_i16x8_s(i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(codes), lo), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(codes, 16), hi)), i16x8.splat(1));
  return unpackedDot(i16x8.extend_low_i8x16_u(lo), i16x8.extend_high_i8x16_u(lo), i16x8.extend_low_i8x16_u(hi), i16x8.extend_high_i8x16_u(hi), codes);
}

/** blockDot of the block at `packed`. */
@inline function packedDot(packed: v128, codes: usize, form: i32): v128 {
  return blockDot(lowNibbles(packed), highNibbles(packed), codes, form);
}

/** [Σa, Σb, Σc, Σd] of four i32x4 vectors (a 4×4 transpose folded into adds). */
@inline function sums4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7)); // a0+a2 a1+a3 b0+b2 b1+b3
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
}

/** Four u8 zero points at p as f32 lanes. */
@inline function zeroPoints4(p: usize): v128 {
  return f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
}

/**
 * One output feature for one token: Σ_b scale_b·xs_b·(Σ code·xq − zp_b·Σ xq). Blocks go four at a time so the
 * per-block float work is done on four blocks' sums at once (sums4), the last kb mod 4 one by one.
 */
@inline function rowDot(rowB: usize, rowS: usize, rowZ: usize, kb: i32, xq: usize, xsc: usize, xsum: usize, form: i32): f32 {
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= kb; b += 4) {
    const ob = <usize>b;
    const codes = xq + ob * XQ_BLOCK_BYTES;
    const dots = sums4(
      packedDot(v128.load(rowB + (ob << 4)), codes, form),
      packedDot(v128.load(rowB + (ob << 4), 16), codes + XQ_BLOCK_BYTES, form),
      packedDot(v128.load(rowB + (ob << 4), 32), codes + 2 * XQ_BLOCK_BYTES, form),
      packedDot(v128.load(rowB + (ob << 4), 48), codes + 3 * XQ_BLOCK_BYTES, form),
    );
    acc = f32x4.add(acc, scaled4(dots, v128.load(rowS + (ob << 2)), zeroPoints4(rowZ + ob), xsc, xsum, ob));
  }
  let tail: f32 = 0;
  for (; b < kb; b++) {
    const ob = <usize>b;
    const dot = packedDot(v128.load(rowB + (ob << 4)), xq + ob * XQ_BLOCK_BYTES, form);
    const d = <f32>(i32x4.extract_lane(dot, 0) + i32x4.extract_lane(dot, 1) + i32x4.extract_lane(dot, 2) + i32x4.extract_lane(dot, 3));
    tail += load<f32>(rowS + (ob << 2)) * load<f32>(xsc + (ob << 2)) * (d - <f32>load<u8>(rowZ + ob) * <f32>load<i32>(xsum + (ob << 2)));
  }
  return hsum(acc) + tail;
}

/** Σ of one block's codes (unpacked to i16: w0..w3 = even low/high, odd low/high) times one token's codes. */
@inline function unpackedDot(w0: v128, w1: v128, w2: v128, w3: v128, codes: usize): v128 {
  let acc = i32x4.dot_i16x8_s(w0, v128.load(codes));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(w1, v128.load(codes, 16)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(w2, v128.load(codes, 32)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(w3, v128.load(codes, 48)));
}

/** Block b's scale · xs · (dot − zp · Σxq) for four blocks at once: `dots` from sums4, `s4` and `zp4` the weight's. */
@inline function scaled4(dots: v128, s4: v128, zp4: v128, xsc: usize, xsum: usize, ob: usize): v128 {
  const f = f32x4.mul(s4, v128.load(xsc + (ob << 2)));
  const zeroTerm = f32x4.mul(zp4, f32x4.convert_i32x4_s(v128.load(xsum + (ob << 2))));
  return f32x4.mul(f, f32x4.sub(f32x4.convert_i32x4_s(dots), zeroTerm));
}

/**
 * rowDot for two tokens (codes a, b; their scales and sums at the same block offsets): each weight block is
 * loaded and unpacked once for both, and its four blocks' scales and zero points read once, the prefill's
 * saving (a decode step has one token).
 */
@inline function rowDot2(rowB: usize, rowS: usize, rowZ: usize, kb: i32, xqA: usize, xqB: usize, xscA: usize, xscB: usize, xsumA: usize, xsumB: usize, y: usize, yB: usize, form: i32): void {
  let accA = f32x4.splat(0), accB = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= kb; b += 4) {
    const ob = <usize>b;
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (let j: usize = 0; j < 4; j++) {
      const packed = v128.load(rowB + ((ob + j) << 4));
      const codesA = xqA + (ob + j) * XQ_BLOCK_BYTES, codesB = xqB + (ob + j) * XQ_BLOCK_BYTES;
      let da: v128, db: v128;
      const lo = lowNibbles(packed), hi = highNibbles(packed);
      if (ASC_FEATURE_RELAXED_SIMD) {
        da = blockDot(lo, hi, codesA, form);
        db = blockDot(lo, hi, codesB, form);
      } else {
        const w0 = i16x8.extend_low_i8x16_u(lo), w1 = i16x8.extend_high_i8x16_u(lo), w2 = i16x8.extend_low_i8x16_u(hi), w3 = i16x8.extend_high_i8x16_u(hi);
        da = unpackedDot(w0, w1, w2, w3, codesA);
        db = unpackedDot(w0, w1, w2, w3, codesB);
      }
      if (j == 0) { a0 = da; b0 = db; } else if (j == 1) { a1 = da; b1 = db; } else if (j == 2) { a2 = da; b2 = db; } else { a3 = da; b3 = db; }
    }
    const s4 = v128.load(rowS + (ob << 2)), zp4 = zeroPoints4(rowZ + ob);
    accA = f32x4.add(accA, scaled4(sums4(a0, a1, a2, a3), s4, zp4, xscA, xsumA, ob));
    accB = f32x4.add(accB, scaled4(sums4(b0, b1, b2, b3), s4, zp4, xscB, xsumB, ob));
  }
  let tailA: f32 = 0, tailB: f32 = 0;
  for (; b < kb; b++) {
    const ob = <usize>b;
    const packed = v128.load(rowB + (ob << 4));
    const lo = lowNibbles(packed), hi = highNibbles(packed);
    const da = blockDot(lo, hi, xqA + ob * XQ_BLOCK_BYTES, form), db = blockDot(lo, hi, xqB + ob * XQ_BLOCK_BYTES, form);
    const s = load<f32>(rowS + (ob << 2)), zp = <f32>load<u8>(rowZ + ob);
    tailA += s * load<f32>(xscA + (ob << 2)) * (<f32>(i32x4.extract_lane(da, 0) + i32x4.extract_lane(da, 1) + i32x4.extract_lane(da, 2) + i32x4.extract_lane(da, 3)) - zp * <f32>load<i32>(xsumA + (ob << 2)));
    tailB += s * load<f32>(xscB + (ob << 2)) * (<f32>(i32x4.extract_lane(db, 0) + i32x4.extract_lane(db, 1) + i32x4.extract_lane(db, 2) + i32x4.extract_lane(db, 3)) - zp * <f32>load<i32>(xsumB + (ob << 2)));
  }
  store<f32>(y, hsum(accA) + tailA);
  store<f32>(yB, hsum(accB) + tailB);
}

/**
 * y (M, N) f32 = x · Wᵀ for the quantized rows of x (quantizeRows) and an int4 weight W (N, K = kb·32), output
 * features [n0, n1) only. Tokens are taken in tiles whose codes fit in L2, so each weight row is read once per
 * tile (once in all at M = 1, the decode step), and in pairs that share each unpacked block.
 */
@inline function gemmRows(B: usize, S: usize, Z: usize, N: i32, kb: i32, xq: usize, xsc: usize, xsum: usize, M: i32, y: usize, n0: i32, n1: i32, form: i32): void {
  const tile = max<i32>(2, (256 * 1024) / (kb * <i32>XQ_BLOCK_BYTES));
  for (let m0 = 0; m0 < M; m0 += tile) {
    const m1 = min(M, m0 + tile);
    for (let n = n0; n < n1; n++) {
      const rowB = B + <usize>n * <usize>kb * 16, rowS = S + <usize>n * <usize>kb * 4, rowZ = Z + <usize>n * <usize>kb;
      let m = m0;
      for (; m + 2 <= m1; m += 2) {
        const o = <usize>m * <usize>kb, o2 = o + <usize>kb;
        rowDot2(rowB, rowS, rowZ, kb, xq + o * XQ_BLOCK_BYTES, xq + o2 * XQ_BLOCK_BYTES, xsc + (o << 2), xsc + (o2 << 2), xsum + (o << 2), xsum + (o2 << 2),
          y + (<usize>m * <usize>N + <usize>n) * 4, y + (<usize>(m + 1) * <usize>N + <usize>n) * 4, form);
      }
      if (m < m1) {
        const o = <usize>m * <usize>kb;
        store<f32>(y + (<usize>m * <usize>N + <usize>n) * 4, rowDot(rowB, rowS, rowZ, kb, xq + o * XQ_BLOCK_BYTES, xsc + (o << 2), xsum + (o << 2), form));
      }
    }
  }
}

/** gemmRows compiled once per dot form, each with its form a constant (so no branch in the inner loops). */
function gemmRowsI16(B: usize, S: usize, Z: usize, N: i32, kb: i32, xq: usize, xsc: usize, xsum: usize, M: i32, y: usize, n0: i32, n1: i32): void {
  gemmRows(B, S, Z, N, kb, xq, xsc, xsum, M, y, n0, n1, DOT_I16);
}
function gemmRowsI32(B: usize, S: usize, Z: usize, N: i32, kb: i32, xq: usize, xsc: usize, xsum: usize, M: i32, y: usize, n0: i32, n1: i32): void {
  gemmRows(B, S, Z, N, kb, xq, xsc, xsum, M, y, n0, n1, DOT_I32);
}

/**
 * Several products in one call (q, k and v of one input; gate and up): `count` jobs at `jobs`, each a struct of
 * gemmRows' arguments at the offsets of gemm-job.ts, which the host writes from, all in one dot `form`. Threads
 * split the jobs' output features taken end to end, so one wake-up of the helper threads serves them all.
 */
export function gemmQ4(jobs: usize, count: i32, form: i32, thread: i32, threads: i32): void {
  let total: i64 = 0;
  for (let j = 0; j < count; j++) total += <i64>load<i32>(jobs + <usize>j * JOB_BYTES + JOB_N);
  const from = (total * thread) / threads, to = (total * (thread + 1)) / threads;
  let start: i64 = 0;
  for (let j = 0; j < count; j++) {
    const job = jobs + <usize>j * JOB_BYTES;
    const N = load<i32>(job, JOB_N);
    const n0 = <i32>(max<i64>(from, start) - start), n1 = <i32>(min<i64>(to, start + N) - start);
    if (n0 < n1) {
      const B = load<u32>(job, JOB_B), S = load<u32>(job, JOB_S), Z = load<u32>(job, JOB_Z), kb = load<i32>(job, JOB_KB);
      const xq = load<u32>(job, JOB_XQ), xsc = load<u32>(job, JOB_XSC), xsum = load<u32>(job, JOB_XSUM);
      if (ASC_FEATURE_RELAXED_SIMD && form == DOT_I32) gemmRowsI32(B, S, Z, N, kb, xq, xsc, xsum, load<i32>(job, JOB_M), load<u32>(job, JOB_Y), n0, n1);
      else gemmRowsI16(B, S, Z, N, kb, xq, xsc, xsum, load<i32>(job, JOB_M), load<u32>(job, JOB_Y), n0, n1);
    }
    start += N;
  }
}
