// AssemblyScript: the wasm SIMD kernels of the int4 decoder (int4-decoder.ts). `npm run kernels` compiles this
// file to kernels.wasm.ts; a test checks that the two agree. Why our own kernels: onnxruntime-web's wasm build has
// no int4 MatMul kernel — its MatMulNBits dequantizes the whole weight to float32 on every call (bench/RESULTS.md),
// which makes a 3B decoder take tens of seconds per token. Here int4 weights are multiplied in place.
//
// Memory is one shared linear memory owned by the host (kernels.ts); every argument is a byte offset into it.
// Kernels that split work across threads take (thread, threads) last and do their own share.
//
// Weight layout: com.microsoft MatMulNBits' (converter/quantize/q4.ts), block 32 along K:
//   B  u8 (N, kb, 16)  two 4-bit codes a byte, low nibble first: byte j holds codes 2j and 2j+1
//   S  f32 (N, kb)     block scales (the file's float16, widened at load)
//   Z  u8 (N, kb)      block zero points (the file's packed nibbles, unpacked at load)
// and w = (code − zp) · scale. Activations are quantized per block of 32 to int8 (as MatMulNBits'
// accuracy_level 4 does on native CPUs): x ≈ xs · xq, so a block's contribution is
//   scale · xs · (Σ code·xq − zp · Σ xq)
// with the integer sums exact. Codes are 0..15 and |xq| ≤ 127, so i16 lanes and i32x4.dot_i16x8_s never overflow.
//
// build-kernels.ts compiles this file twice: for plain wasm SIMD and for relaxed SIMD (ASC_FEATURE_RELAXED_SIMD).
// Relaxed SIMD's i16x8.relaxed_dot_i8x16_i7x16_s multiplies int8 activations by the codes (0..15 fit its 7-bit
// operand) and sums pairs in one instruction (x86 pmaddubsw, Arm sdot), where plain SIMD must first widen both
// to i16: a block's dot is 2 dots instead of 4 extends and 4 dots. The second i16 add cannot overflow either:
// 4 · 15 · 127 < 2^15. Its results are implementation-defined for operands outside those ranges, and one
// engine has been seen to get its i32 "add" form wrong, so kernels.ts checks a known product before using it.

/** Codes of one activation block, laid out for blockDot: the 16 even elements, then the 16 odd ones. */
const XQ_CODE_BYTES: usize = ASC_FEATURE_RELAXED_SIMD ? 1 : 2; // i8 for the relaxed dot, else i16
const XQ_BLOCK_BYTES: usize = 32 * XQ_CODE_BYTES;

/** One activation code at `at`, in this build's code size. */
@inline function storeCode(at: usize, code: i32): void {
  if (ASC_FEATURE_RELAXED_SIMD) store<i8>(at, <i8>code);
  else store<i16>(at, <i16>code);
}

/** XQ_BLOCK_BYTES, for the host's allocations. */
export function xqBlockBytes(): i32 {
  return <i32>XQ_BLOCK_BYTES;
}

/**
 * 1.5·2^23: x + ROUNDER, for |x| < 2^22, is x rounded to an integer n (ties to even) whose bits hold
 * ROUNDER's + n, so the integer comes out with an integer subtract, where i32x4.trunc_sat_f32x4_s costs x86
 * several instructions of saturation fix-ups.
 */
const ROUNDER: f32 = 12582912;

/** x rounded to the nearest integers (ties to even), as i32 lanes: for |x| < 2^22. */
@inline function roundToInt4(x: v128): v128 {
  return i32x4.sub(f32x4.add(x, f32x4.splat(ROUNDER)), f32x4.splat(ROUNDER));
}

/** The largest of 4 lanes. */
@inline function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** max |x_i| over n floats at x. */
@inline function absMax(x: usize, n: i32): f32 {
  let m: f32 = 0;
  for (let i = 0; i < n; i++) m = max(m, abs(load<f32>(x + (<usize>i << 2))));
  return m;
}

/**
 * One block of 32 floats at x → its codes in blockDot's order (the 16 even elements, then the 16 odd ones), its
 * scale and its code sum: quantizeRows for whole blocks, in SIMD (a decode step quantizes ~620K activations,
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
    const lo = i8x16.narrow_i16x8_s(w0, w1), hi = i8x16.narrow_i16x8_s(w2, w3); // elements 0–15, 16–31 as i8
    v128.store(codes, i8x16.shuffle(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
    v128.store(codes, i8x16.shuffle(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), 16);
  } else {
    v128.store(codes, i16x8.shuffle(w0, w1, 0, 2, 4, 6, 8, 10, 12, 14));
    v128.store(codes, i16x8.shuffle(w2, w3, 0, 2, 4, 6, 8, 10, 12, 14), 16);
    v128.store(codes, i16x8.shuffle(w0, w1, 1, 3, 5, 7, 9, 11, 13, 15), 32);
    v128.store(codes, i16x8.shuffle(w2, w3, 1, 3, 5, 7, 9, 11, 13, 15), 48);
  }
}

/**
 * Rows of x (M, K) f32 → per block of 32 (the tail past K reads as 0): codes xq (M, kb, 32) in blockDot's
 * order, scales xsc (M, kb) f32 and code sums xsum (M, kb) i32.
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
        storeCode(codes + <usize>(((i & 1) << 4) + (i >> 1)) * XQ_CODE_BYTES, v);
        sum += v;
      }
      store<f32>(xsc + o * 4, amax / 127);
      store<i32>(xsum + o * 4, sum);
    }
  }
}

/** Σ code·xq over one block, as 4 partial i32 sums: `packed` the block's 16 bytes, `codes` its activation block. */
@inline function blockDot(packed: v128, codes: usize): v128 {
  const lo = v128.and(packed, i8x16.splat(0x0f)); // even elements 0, 2, …, 30
  const hi = i8x16.shr_u(packed, 4); // odd elements 1, 3, …, 31
  if (ASC_FEATURE_RELAXED_SIMD)
    return i32x4.extadd_pairwise_i16x8_s(i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(codes), lo), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(codes, 16), hi)));
  let acc = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(lo), v128.load(codes));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(lo), v128.load(codes, 16)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(hi), v128.load(codes, 32)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(hi), v128.load(codes, 48)));
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
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
@inline function rowDot(rowB: usize, rowS: usize, rowZ: usize, kb: i32, xq: usize, xsc: usize, xsum: usize): f32 {
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= kb; b += 4) {
    const ob = <usize>b;
    const codes = xq + ob * XQ_BLOCK_BYTES;
    const dots = sums4(
      blockDot(v128.load(rowB + (ob << 4)), codes),
      blockDot(v128.load(rowB + (ob << 4), 16), codes + XQ_BLOCK_BYTES),
      blockDot(v128.load(rowB + (ob << 4), 32), codes + 2 * XQ_BLOCK_BYTES),
      blockDot(v128.load(rowB + (ob << 4), 48), codes + 3 * XQ_BLOCK_BYTES),
    );
    acc = f32x4.add(acc, scaled4(dots, rowS, rowZ, xsc, xsum, ob));
  }
  let tail: f32 = 0;
  for (; b < kb; b++) {
    const ob = <usize>b;
    const dot = blockDot(v128.load(rowB + (ob << 4)), xq + ob * XQ_BLOCK_BYTES);
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

/** Block b's scale · xs · (dot − zp · Σxq) for four blocks at once: `dots` from sums4. */
@inline function scaled4(dots: v128, rowS: usize, rowZ: usize, xsc: usize, xsum: usize, ob: usize): v128 {
  const f = f32x4.mul(v128.load(rowS + (ob << 2)), v128.load(xsc + (ob << 2)));
  const zeroTerm = f32x4.mul(zeroPoints4(rowZ + ob), f32x4.convert_i32x4_s(v128.load(xsum + (ob << 2))));
  return f32x4.mul(f, f32x4.sub(f32x4.convert_i32x4_s(dots), zeroTerm));
}

/**
 * rowDot for two tokens (codes a, b; their scales and sums at the same block offsets): each weight block is
 * loaded (and on plain SIMD unpacked) once for both, the prefill's saving (a decode step has one token).
 */
@inline function rowDot2(rowB: usize, rowS: usize, rowZ: usize, kb: i32, xqA: usize, xqB: usize, xscA: usize, xscB: usize, xsumA: usize, xsumB: usize, y: usize, yB: usize): void {
  const mask = i8x16.splat(0x0f);
  let accA = f32x4.splat(0), accB = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= kb; b += 4) {
    const ob = <usize>b;
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (let j: usize = 0; j < 4; j++) {
      const packed = v128.load(rowB + ((ob + j) << 4));
      const codesA = xqA + (ob + j) * XQ_BLOCK_BYTES, codesB = xqB + (ob + j) * XQ_BLOCK_BYTES;
      let da: v128, db: v128;
      if (ASC_FEATURE_RELAXED_SIMD) {
        // unpacking is two instructions here: not worth sharing
        da = blockDot(packed, codesA);
        db = blockDot(packed, codesB);
      } else {
        const lo = v128.and(packed, mask), hi = i8x16.shr_u(packed, 4);
        const w0 = i16x8.extend_low_i8x16_u(lo), w1 = i16x8.extend_high_i8x16_u(lo), w2 = i16x8.extend_low_i8x16_u(hi), w3 = i16x8.extend_high_i8x16_u(hi);
        da = unpackedDot(w0, w1, w2, w3, codesA);
        db = unpackedDot(w0, w1, w2, w3, codesB);
      }
      if (j == 0) { a0 = da; b0 = db; } else if (j == 1) { a1 = da; b1 = db; } else if (j == 2) { a2 = da; b2 = db; } else { a3 = da; b3 = db; }
    }
    accA = f32x4.add(accA, scaled4(sums4(a0, a1, a2, a3), rowS, rowZ, xscA, xsumA, ob));
    accB = f32x4.add(accB, scaled4(sums4(b0, b1, b2, b3), rowS, rowZ, xscB, xsumB, ob));
  }
  let tailA: f32 = 0, tailB: f32 = 0;
  for (; b < kb; b++) {
    const ob = <usize>b;
    const packed = v128.load(rowB + (ob << 4));
    const da = blockDot(packed, xqA + ob * XQ_BLOCK_BYTES), db = blockDot(packed, xqB + ob * XQ_BLOCK_BYTES);
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
function gemmRows(B: usize, S: usize, Z: usize, N: i32, kb: i32, xq: usize, xsc: usize, xsum: usize, M: i32, y: usize, n0: i32, n1: i32): void {
  const tile = max<i32>(2, (256 * 1024) / (kb * <i32>XQ_BLOCK_BYTES));
  for (let m0 = 0; m0 < M; m0 += tile) {
    const m1 = min(M, m0 + tile);
    for (let n = n0; n < n1; n++) {
      const rowB = B + <usize>n * <usize>kb * 16, rowS = S + <usize>n * <usize>kb * 4, rowZ = Z + <usize>n * <usize>kb;
      let m = m0;
      for (; m + 2 <= m1; m += 2) {
        const o = <usize>m * <usize>kb, o2 = o + <usize>kb;
        rowDot2(rowB, rowS, rowZ, kb, xq + o * XQ_BLOCK_BYTES, xq + o2 * XQ_BLOCK_BYTES, xsc + (o << 2), xsc + (o2 << 2), xsum + (o << 2), xsum + (o2 << 2),
          y + (<usize>m * <usize>N + <usize>n) * 4, y + (<usize>(m + 1) * <usize>N + <usize>n) * 4);
      }
      if (m < m1) {
        const o = <usize>m * <usize>kb;
        store<f32>(y + (<usize>m * <usize>N + <usize>n) * 4, rowDot(rowB, rowS, rowZ, kb, xq + o * XQ_BLOCK_BYTES, xsc + (o << 2), xsum + (o << 2)));
      }
    }
  }
}

/** Bytes of one gemm job: i32 fields B, S, Z, N, kb, xq, xsc, xsum, M, y (gemmRows' arguments). */
const JOB_BYTES: usize = 40;

/**
 * Several products in one call (q, k and v of one input; gate and up): `count` jobs at `jobs`. Threads split
 * the jobs' output features taken end to end, so one wake-up of the helper threads serves them all.
 */
export function gemmQ4(jobs: usize, count: i32, thread: i32, threads: i32): void {
  let total: i64 = 0;
  for (let j = 0; j < count; j++) total += <i64>load<i32>(jobs + <usize>j * JOB_BYTES + 12);
  const from = (total * thread) / threads, to = (total * (thread + 1)) / threads;
  let start: i64 = 0;
  for (let j = 0; j < count; j++) {
    const job = jobs + <usize>j * JOB_BYTES;
    const N = load<i32>(job, 12);
    const n0 = <i32>(max<i64>(from, start) - start), n1 = <i32>(min<i64>(to, start + N) - start);
    if (n0 < n1)
      gemmRows(load<u32>(job), load<u32>(job, 4), load<u32>(job, 8), N, load<i32>(job, 16), load<u32>(job, 20), load<u32>(job, 24), load<u32>(job, 28), load<i32>(job, 32), load<u32>(job, 36), n0, n1);
    start += N;
  }
}

/** e^x on 4 lanes for x ≤ 0 (softmax after the max is subtracted): 2^n · p(r), |rel. error| < 2e-7. */
@inline function exp4(x: v128): v128 {
  x = f32x4.max(x, f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

// ---- The KV cache, in int8 --------------------------------------------------------------------------------------
// One layer's cache, per kv head g (kvh of them), for `cap` positions rounded up to a multiple of 8 (C):
//   keys      u8  (C/4, hd/G, 4, G)  a quad of positions: for every G dims, the 4 positions' G codes in turn
//   key scale f32 (C/4, nkb, 4)      per position and block of keyBlock(hd) dims, a quad's 4 side by side
// and, in a second allocation,
//   values    i8  (C/2, hd, 2)       a pair of positions, dim by dim: v(d, t), v(d, t+1)
//   val scale f32 (C)                per position
// with G = KEY_DIMS: 4 on relaxed SIMD, 2 on plain (a cache lives in one Kernels' memory, so only the build that
// wrote it ever reads it).
// k ≈ ks · (code − 64) with codes 1 … 127, so keys fit relaxed SIMD's 7-bit operand; v ≈ vs · code, |code| ≤ 127.
// Why these layouts: one load of a group of keys times a query's G codes (splat) sums to one score per i32 lane —
// four positions' partial scores at once, with no horizontal sums; one 16-byte load of values, widened to
// i16, times a pair of weights (i32x4.dot_i16x8_s) gives each lane one dim's p_t·v_t + p_t+1·v_t+1.
// Why int8 at all: attention at long contexts is bound by multiply-adds, which integer dot instructions do 2–4×
// as many of per instruction as f32x4 does, and the cache shrinks 3.7× (at hd 128: 276 bytes per position and kv
// head instead of 1024). Keys get a scale per block of 32 dims as llama.cpp's q8_0 cache does (a few large
// channels then coarsen only their own block); values one per position, as KIVI found values want.

/** Positions rounded up to the 8 that attention scores at a time (two quads of keys). */
@inline function roundedCap(cap: i32): i32 {
  return (cap + 7) & ~7;
}

/**
 * Dims per group of key codes (G above): the relaxed dot multiplies 4 int8 query codes by 4 key codes per i32
 * lane (16 bytes: 4 positions); plain SIMD widens 8 key codes to i16 as it loads them (2 dims of 4 positions),
 * and i32x4.dot_i16x8_s sums pairs of dims.
 */
const KEY_DIMS: i32 = ASC_FEATURE_RELAXED_SIMD ? 4 : 2;

/** Dims per key scale: 32, or the whole head where hd is no multiple of 32. */
@inline function keyBlock(hd: i32): i32 {
  return hd % 32 == 0 ? 32 : hd;
}

/** Zero point of the key codes: 1 … 127 stand for −63 … 63. */
const KEY_ZERO: i32 = 64;

/** Bytes of one layer's keys and their scales (the `kc` of storeKv and attention). */
export function kvKeyBytes(kvh: i32, hd: i32, cap: i32): i32 {
  return kvh * roundedCap(cap) * (hd + (hd / keyBlock(hd)) * 4);
}

/** Bytes of one layer's values and their scales (the `vc` of storeKv and attention). */
export function kvValueBytes(kvh: i32, hd: i32, cap: i32): i32 {
  return kvh * roundedCap(cap) * (hd + 4);
}

/** Positions P … P+n−1 of k and v (n, kvh, hd) f32 into one layer's cache kc, vc (the layout above). */
export function storeKv(k: usize, v: usize, n: i32, P: i32, kvh: i32, hd: i32, cap: i32, kc: usize, vc: usize): void {
  const C = roundedCap(cap), block = keyBlock(hd), nkb = hd / block;
  const keyScales = kc + <usize>kvh * <usize>C * <usize>hd, valueScales = vc + <usize>kvh * <usize>C * <usize>hd;
  for (let t = 0; t < n; t++) {
    const p = P + t, lane = <usize>(p & 3);
    for (let g = 0; g < kvh; g++) {
      const row = <usize>((t * kvh + g) * hd) << 2;
      const quad = <usize>(g * C + (p & ~3)) * <usize>hd; // (g · C/4 + p/4) quads of hd·4 bytes
      const scales = keyScales + ((<usize>(g * (C >> 2) + (p >> 2)) * <usize>nkb) << 4);
      for (let b = 0; b < nkb; b++) {
        const x = k + row + (<usize>(b * block) << 2);
        const amax = absMax(x, block);
        const inv: f32 = amax > 0 ? <f32>(KEY_ZERO - 1) / amax : 0;
        for (let i = 0; i < block; i++) {
          const d = b * block + i;
          const at = <usize>((d / KEY_DIMS) * 4 * KEY_DIMS + d % KEY_DIMS) + lane * <usize>KEY_DIMS;
          store<u8>(kc + quad + at, <u8>(<i32>nearest<f32>(load<f32>(x + (<usize>i << 2)) * inv) + KEY_ZERO));
        }
        store<f32>(scales + (<usize>b << 4) + (lane << 2), amax / <f32>(KEY_ZERO - 1));
      }
      const x = v + row;
      const amax = absMax(x, hd);
      const inv: f32 = amax > 0 ? 127 / amax : 0;
      const pair = vc + <usize>(g * C + (p & ~1)) * <usize>hd + <usize>(p & 1);
      for (let d = 0; d < hd; d++) store<i8>(pair + (<usize>d << 1), <i8>nearest<f32>(load<f32>(x + (<usize>d << 2)) * inv));
      store<f32>(valueScales + (<usize>(g * C + p) << 2), amax / 127);
    }
  }
}

// ---- Attention ---------------------------------------------------------------------------------------------------

/** Query heads per attention work item: a pair of one kv head's group (an odd group's last pair is one head). */
const PAIR: i32 = 2;

/** Value pairs summed in i32 between flushes to f32: 128 · 2 · 32767 · 127 < 2^31. */
const FLUSH_PAIRS: i32 = 128;

/**
 * Bytes of one thread's attention scratch (`scratch` holds `threads` of them), for PAIR heads: scores f32 (C),
 * weights i16 (C), query codes (hd, quantizeRows' code size), query scales f32 and code sums i32 (nkb), norm f32.
 */
export function attentionScratchBytes(hd: i32, cap: i32): i32 {
  const C = roundedCap(cap), nkb = hd / keyBlock(hd);
  return (PAIR * (C * 6 + hd * <i32>XQ_CODE_BYTES + nkb * 8 + 4) + 15) & ~15;
}

/**
 * Causal grouped-query attention of S new tokens at positions P … P+S−1 (their keys and values already stored by
 * storeKv): q (S, nh, hd) rotated queries; kc, vc one layer's int8 cache; out (S, nh, hd). Query head h reads kv
 * head h / (nh / kvh); softmax(q·kᵀ / √hd) · v over keys 0 … P+s. hd must be a multiple of 16.
 * A work item is one token and a pair of query heads of one kv head; threads split the items. The arithmetic
 * is integer: queries are rounded to int8 per key block, the softmax weights (times the value scales) to 15
 * bits of their largest, so both products are exact integer dots and only the scales are float.
 */
export function attention(q: usize, kc: usize, vc: usize, out: usize, S: i32, P: i32, nh: i32, kvh: i32, hd: i32, cap: i32, scratch: usize, thread: i32, threads: i32): void {
  const group = nh / kvh, pairs = (group + PAIR - 1) / PAIR;
  const C = roundedCap(cap), block = keyBlock(hd), nkb = hd / block;
  const scores = scratch + <usize>thread * <usize>attentionScratchBytes(hd, cap);
  const weights = scores + <usize>(PAIR * C * 4), codes = weights + <usize>(PAIR * C * 2);
  const qScales = codes + <usize>PAIR * <usize>hd * XQ_CODE_BYTES, qSums = qScales + <usize>(PAIR * nkb * 4), norms = qSums + <usize>(PAIR * nkb * 4);
  const rowBytes = <usize>hd << 2, scale: f32 = 1 / Mathf.sqrt(<f32>hd);
  const items = S * kvh * pairs;
  const j0 = <i32>((<i64>items * thread) / threads), j1 = <i32>((<i64>items * (thread + 1)) / threads);
  for (let j = j0; j < j1; j++) {
    const s = j / (kvh * pairs), g = (j / pairs) % kvh;
    const first = g * group + (j % pairs) * PAIR, last = min(first + PAIR, (g + 1) * group) - 1;
    const T = P + s + 1, T8 = (T + 7) & ~7;
    const keys = kc + <usize>(g * C) * <usize>hd, keyScales = kc + <usize>kvh * <usize>C * <usize>hd + ((<usize>(g * (C >> 2)) * <usize>nkb) << 4);
    const values = vc + <usize>(g * C) * <usize>hd, valueScales = vc + <usize>kvh * <usize>C * <usize>hd + (<usize>(g * C) << 2);
    for (let i = 0; i < PAIR; i++) {
      const o = <usize>i;
      quantizeQuery(q + <usize>(s * nh + min(first + i, last)) * rowBytes, hd, block, scale, codes + o * <usize>hd * XQ_CODE_BYTES, qScales + ((o * <usize>nkb) << 2), qSums + ((o * <usize>nkb) << 2));
    }
    keyScores(keys, keyScales, T8 >> 3, hd, block, codes, qScales, qSums, scores, C);
    for (let i = 0; i < PAIR; i++) {
      const o = <usize>i;
      store<f32>(norms + (o << 2), softmaxWeights(scores + ((o * <usize>C) << 2), valueScales, T, T8, weights + ((o * <usize>C) << 1)));
    }
    const out0 = out + <usize>(s * nh + first) * rowBytes, out1 = out + <usize>(s * nh + last) * rowBytes;
    weightedValues(values, T8 >> 1, hd, weights, weights + (<usize>C << 1), out0, out1, first == last);
    scaleRow(out0, hd, load<f32>(norms));
    if (first != last) scaleRow(out1, hd, load<f32>(norms, 4));
  }
}

/** One query head (hd) → int8 codes per key block (quantizeRows' code size, in order), scales · `scale`, code sums. */
function quantizeQuery(x: usize, hd: i32, block: i32, scale: f32, codes: usize, scales: usize, sums: usize): void {
  for (let b = 0; b < hd / block; b++) {
    const from = x + (<usize>(b * block) << 2);
    const amax = absMax(from, block);
    const inv: f32 = amax > 0 ? 127 / amax : 0;
    let sum: i32 = 0;
    for (let i = 0; i < block; i++) {
      const c = <i32>nearest<f32>(load<f32>(from + (<usize>i << 2)) * inv);
      storeCode(codes + <usize>(b * block + i) * XQ_CODE_BYTES, c);
      sum += c;
    }
    store<f32>(scales + (<usize>b << 2), (amax / 127) * scale);
    store<i32>(sums + (<usize>b << 2), sum);
  }
}

/**
 * acc + Σ code_q · code_k over one group of KEY_DIMS dims of a quad of keys, one position per lane. Relaxed SIMD
 * multiplies the i8 query codes by the 7-bit key codes and sums them in i16 pairs, widened to i32; plain SIMD
 * widens 8 key codes to i16 as it loads them and multiplies them by i16 query codes.
 */
@inline function keyGroup(acc: v128, query: usize, keys: usize): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(query), v128.load(keys))));
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_u(keys), v128.load32_splat(query)));
}

/** One block's integer dots → its part of the scores: (dots − 64·Σq) · key scales · query scale. */
@inline function blockScores(dots: v128, qsum: i32, keyScales: v128, qScale: f32): v128 {
  // Σ q·(code − 64) = Σ q·code − 64·Σ q
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(dots, i32x4.splat(KEY_ZERO * qsum))), f32x4.mul(keyScales, f32x4.splat(qScale)));
}

/**
 * scores (PAIR, C)[0 … 8·octs) = q·k / √hd for both heads of a pair (quantizeQuery's codes, scales and sums of
 * each, PAIR after one another) and the keys, eight positions (two quads) at a time: each load of keys serves
 * both heads and each query splat both quads, so a group costs 2 loads of keys and 2 of queries for 4 dots.
 */
function keyScores(keys: usize, keyScales: usize, octs: i32, hd: i32, block: i32, codes: usize, qs: usize, qsum: usize, scores: usize, C: i32): void {
  const nkb = hd / block, quadBytes = <usize>hd << 2;
  const codes1 = codes + <usize>hd * XQ_CODE_BYTES, qs1 = qs + (<usize>nkb << 2), qsum1 = qsum + (<usize>nkb << 2), scores1 = scores + (<usize>C << 2);
  for (let c = 0; c < octs; c++) {
    const k0 = keys + <usize>(2 * c) * quadBytes, k1 = k0 + quadBytes;
    const ks0 = keyScales + ((<usize>(2 * c) * <usize>nkb) << 4), ks1 = ks0 + (<usize>nkb << 4);
    let s00 = f32x4.splat(0), s01 = s00, s10 = s00, s11 = s00; // head, quad
    for (let b = 0; b < nkb; b++) {
      let a00 = i32x4.splat(0), a01 = a00, a10 = a00, a11 = a00;
      for (let d = b * block; d < (b + 1) * block; d += KEY_DIMS) {
        const o = <usize>d << 2, q0 = codes + <usize>d * XQ_CODE_BYTES, q1 = codes1 + <usize>d * XQ_CODE_BYTES;
        a00 = keyGroup(a00, q0, k0 + o);
        a01 = keyGroup(a01, q0, k1 + o);
        a10 = keyGroup(a10, q1, k0 + o);
        a11 = keyGroup(a11, q1, k1 + o);
      }
      const ob = <usize>b << 2, kb0 = v128.load(ks0 + (<usize>b << 4)), kb1 = v128.load(ks1 + (<usize>b << 4));
      const sum0 = load<i32>(qsum + ob), sum1 = load<i32>(qsum1 + ob), scale0 = load<f32>(qs + ob), scale1 = load<f32>(qs1 + ob);
      s00 = f32x4.add(s00, blockScores(a00, sum0, kb0, scale0));
      s01 = f32x4.add(s01, blockScores(a01, sum0, kb1, scale0));
      s10 = f32x4.add(s10, blockScores(a10, sum1, kb0, scale1));
      s11 = f32x4.add(s11, blockScores(a11, sum1, kb1, scale1));
    }
    const at = <usize>c << 5;
    v128.store(scores + at, s00);
    v128.store(scores + at, s01, 16);
    v128.store(scores1 + at, s10);
    v128.store(scores1 + at, s11, 16);
  }
}

/**
 * Scores this far below the top get weight 0 instead of e^(score − top) < 4·10⁻¹⁸: in float32 they cannot move
 * a sum that holds the top's 1 (and the padding past T, set to −∞, lands here too).
 */
const NEGLIGIBLE_SCORE: f32 = -40;

/**
 * e^d on 4 lanes for −40 < d ≤ 0, to 3·10⁻⁶ relative: 2^n · 2^f with 2^f a degree-4 fit on |f| ≤ ½ (least squares
 * on relative error), n added straight into the exponent bits. exp4's 2·10⁻⁷ would be wasted here — the weights
 * are rounded to 15 bits next — and this is half its work, in the one loop of attention that runs per position
 * and head in float. Lanes outside (−40, 0] come out as garbage: the caller masks them.
 */
@inline function weightExp4(d: v128): v128 {
  const y = f32x4.mul(d, f32x4.splat(1.44269504));
  const r = f32x4.add(y, f32x4.splat(ROUNDER)); // its low bits hold n = round(y)
  const f = f32x4.sub(y, f32x4.sub(r, f32x4.splat(ROUNDER)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(0.009560510516166687), f), f32x4.splat(0.05591703951358795));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(0.24024981260299683));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(0.6931219696998596));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(0.9999991655349731));
  return i32x4.add(p, i32x4.shl(r, 23)); // ROUNDER's own bits shift out: only n lands in the exponent
}

/**
 * The softmax of scores[0 … T) as integer weights for weightedValues: w_t = e^(s_t − top) · vs_t in steps of
 * 1/32767 of the largest (so the values' scales ride along), 0 for t in [T, T8). Returns what turns Σ w·code
 * back into Σ softmax·v: largest / 32767 / Σ e.
 */
function softmaxWeights(scores: usize, valueScales: usize, T: i32, T8: i32, weights: usize): f32 {
  for (let t = T; t < T8; t++) store<f32>(scores + (<usize>t << 2), -Infinity);
  let top = f32x4.splat(-Infinity);
  for (let t = 0; t < T8; t += 4) top = f32x4.pmax(top, v128.load(scores + (<usize>t << 2)));
  const m = f32x4.splat(hmax(top));
  let sum = f32x4.splat(0), largest = sum;
  for (let t = 0; t < T8; t += 4) {
    const at = scores + (<usize>t << 2);
    const d = f32x4.sub(v128.load(at), m);
    const keep = f32x4.gt(d, f32x4.splat(NEGLIGIBLE_SCORE));
    const e = v128.and(weightExp4(d), keep);
    sum = f32x4.add(sum, e);
    const w = v128.and(f32x4.mul(e, v128.load(valueScales + (<usize>t << 2))), keep);
    largest = f32x4.pmax(largest, w);
    v128.store(at, w);
  }
  const top1 = hmax(largest);
  const step = f32x4.splat(top1 > 0 ? 32767 / top1 : 0);
  for (let t = 0; t < T8; t += 4) {
    const w = roundToInt4(f32x4.mul(v128.load(scores + (<usize>t << 2)), step)); // 0 … 32767
    store<i64>(weights + (<usize>t << 1), i64x2.extract_lane(i16x8.narrow_i32x4_s(w, w), 0));
  }
  return top1 / 32767 / hsum(sum);
}

/**
 * out0, out1 (hd) ← Σ_t w_t · code_t over `pairs` pairs of positions, for two heads' weights (w0, w1; i16 each)
 * at once, 16 dims at a time: each value load serves both heads. `same`: one head, out1 is out0.
 */
function weightedValues(values: usize, pairs: i32, hd: i32, w0: usize, w1: usize, out0: usize, out1: usize, same: bool): void {
  memory.fill(out0, 0, <usize>hd << 2);
  if (!same) memory.fill(out1, 0, <usize>hd << 2);
  const pairBytes = <usize>hd << 1;
  for (let d = 0; d < hd; d += 16) {
    for (let c0 = 0; c0 < pairs; c0 += FLUSH_PAIRS) {
      const c1 = min(pairs, c0 + FLUSH_PAIRS);
      let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (let c = c0; c < c1; c++) {
        const at = values + <usize>c * pairBytes + (<usize>d << 1);
        const lo = v128.load(at), hi = v128.load(at, 16);
        const v0 = i16x8.extend_low_i8x16_s(lo), v1 = i16x8.extend_high_i8x16_s(lo), v2 = i16x8.extend_low_i8x16_s(hi), v3 = i16x8.extend_high_i8x16_s(hi);
        const p = v128.load32_splat(w0 + (<usize>c << 2)), r = v128.load32_splat(w1 + (<usize>c << 2));
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v0, p));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v1, p));
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v2, p));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v3, p));
        b0 = i32x4.add(b0, i32x4.dot_i16x8_s(v0, r));
        b1 = i32x4.add(b1, i32x4.dot_i16x8_s(v1, r));
        b2 = i32x4.add(b2, i32x4.dot_i16x8_s(v2, r));
        b3 = i32x4.add(b3, i32x4.dot_i16x8_s(v3, r));
      }
      addInt4x4(out0 + (<usize>d << 2), a0, a1, a2, a3);
      if (!same) addInt4x4(out1 + (<usize>d << 2), b0, b1, b2, b3);
    }
  }
}

/** y[0 … 16) += four i32x4 as floats. */
@inline function addInt4x4(y: usize, a: v128, b: v128, c: v128, d: v128): void {
  v128.store(y, f32x4.add(v128.load(y), f32x4.convert_i32x4_s(a)));
  v128.store(y, f32x4.add(v128.load(y, 16), f32x4.convert_i32x4_s(b)), 16);
  v128.store(y, f32x4.add(v128.load(y, 32), f32x4.convert_i32x4_s(c)), 32);
  v128.store(y, f32x4.add(v128.load(y, 48), f32x4.convert_i32x4_s(d)), 48);
}

@inline function scaleRow(y: usize, n: i32, f: f32): void {
  const s = f32x4.splat(f);
  for (let i = 0; i < n; i += 4) v128.store(y + (<usize>i << 2), f32x4.mul(v128.load(y + (<usize>i << 2)), s));
}

/** gate (M, I) ← silu(gate) · up, silu(g) = g / (1 + e^−g); the element count a multiple of 4. */
export function siluMul(gate: usize, up: usize, count: i32): void {
  const one = f32x4.splat(1);
  for (let i = 0; i < count; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(gate + o);
    // e^−|g| stays in exp4's domain; for g < 0, 1/(1 + e^−g) = e^g / (1 + e^g).
    const e = exp4(f32x4.neg(f32x4.abs(g)));
    const sig = v128.bitselect(f32x4.div(one, f32x4.add(one, e)), f32x4.div(e, f32x4.add(one, e)), f32x4.ge(g, f32x4.splat(0)));
    v128.store(gate + o, f32x4.mul(f32x4.mul(g, sig), v128.load(up + o)));
  }
}
