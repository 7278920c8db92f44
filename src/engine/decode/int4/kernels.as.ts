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

/** XQ_BLOCK_BYTES, for the host's allocations. */
export function xqBlockBytes(): i32 {
  return <i32>XQ_BLOCK_BYTES;
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
      let amax: f32 = 0;
      for (let i = 0; i < n; i++) amax = max(amax, abs(load<f32>(row + <usize>(k0 + i) * 4)));
      const inv: f32 = amax > 0 ? 127 / amax : 0;
      const o = <usize>(m * kb + b);
      const codes = xq + o * XQ_BLOCK_BYTES;
      let sum: i32 = 0;
      for (let i = 0; i < 32; i++) {
        const v: i32 = i < n ? <i32>nearest<f32>(load<f32>(row + <usize>(k0 + i) * 4) * inv) : 0;
        const at = codes + <usize>(((i & 1) << 4) + (i >> 1)) * XQ_CODE_BYTES;
        if (ASC_FEATURE_RELAXED_SIMD) store<i8>(at, <i8>v);
        else store<i16>(at, <i16>v);
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

/** [Σa, Σb, Σc, Σd] of four f32x4 vectors (sums4 for floats). */
@inline function fsums4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
  const cd = f32x4.add(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return f32x4.add(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
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

/** a·b + c on 4 lanes. (relaxed SIMD's fused madd was measured no faster in attention: its loads bound it.) */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  for (let i = 0; i < n; i += 4) acc = madd(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2)), acc);
  return hsum(acc);
}

/**
 * Causal grouped-query attention of S new tokens at positions P … P+S−1 (their keys and values already in the
 * cache): q (S, nh, hd) rotated queries; kc, vc (kvh, cap, hd) one layer's cache; out (S, nh, hd). Query head h
 * reads kv head h / (nh / kvh). softmax(q·kᵀ / √hd) · v over keys 0 … P+s. hd must be a multiple of 4.
 * A work item is one token and one kv head with all the query heads that share it: each key and value row is
 * read once for the whole group (from L1), not once per head. Threads split the items.
 * scratch: threads × (group × cap + group) f32 — a thread's scores, then its heads' 1 / Σ e.
 */
export function attention(q: usize, kc: usize, vc: usize, out: usize, S: i32, P: i32, nh: i32, kvh: i32, hd: i32, cap: i32, scratch: usize, thread: i32, threads: i32): void {
  const group = nh / kvh;
  const scale: f32 = 1 / Mathf.sqrt(<f32>hd);
  const scores = scratch + <usize>thread * <usize>(group * cap + group) * 4;
  const inverse = scores + <usize>group * <usize>cap * 4;
  const items = S * kvh;
  const j0 = <i32>((<i64>items * thread) / threads), j1 = <i32>((<i64>items * (thread + 1)) / threads);
  const rowBytes = <usize>hd * 4;
  for (let j = j0; j < j1; j++) {
    const s = j / kvh, g = j % kvh;
    const T = P + s + 1;
    const heads = q + <usize>(s * nh + g * group) * rowBytes; // the group's query rows, consecutive
    const keys = kc + <usize>g * <usize>cap * rowBytes;
    const values = vc + <usize>g * <usize>cap * rowBytes;
    // Scores four keys at a time: each query chunk is loaded once for the four, and the four dot products are
    // summed across lanes together (f32 sums4) instead of one horizontal sum each.
    let t = 0;
    for (; t + 4 <= T; t += 4) {
      const key = keys + <usize>t * rowBytes;
      for (let h = 0; h < group; h++) {
        const qRow = heads + <usize>h * rowBytes;
        let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
        for (let i = 0; i < hd; i += 4) {
          const o = <usize>i << 2;
          const qv = v128.load(qRow + o);
          a0 = madd(qv, v128.load(key + o), a0);
          a1 = madd(qv, v128.load(key + rowBytes + o), a1);
          a2 = madd(qv, v128.load(key + 2 * rowBytes + o), a2);
          a3 = madd(qv, v128.load(key + 3 * rowBytes + o), a3);
        }
        v128.store(scores + (<usize>(h * cap + t) << 2), f32x4.mul(fsums4(a0, a1, a2, a3), f32x4.splat(scale)));
      }
    }
    for (; t < T; t++) {
      const key = keys + <usize>t * rowBytes;
      for (let h = 0; h < group; h++) store<f32>(scores + (<usize>(h * cap + t) << 2), dot(heads + <usize>h * rowBytes, key, hd) * scale);
    }
    for (let h = 0; h < group; h++) store<f32>(inverse + (<usize>h << 2), 1 / softmaxNumerators(scores + <usize>(h * cap) * 4, T));
    const outRows = out + <usize>(s * nh + g * group) * rowBytes;
    memory.fill(outRows, 0, <usize>group * rowBytes);
    // Four value rows per pass over the outputs: a quarter of the output loads and stores.
    for (t = 0; t + 4 <= T; t += 4) {
      const v0 = values + <usize>t * rowBytes;
      for (let h = 0; h < group; h++) {
        const w = scores + (<usize>(h * cap + t) << 2), inv = load<f32>(inverse + (<usize>h << 2));
        const p0 = f32x4.splat(load<f32>(w) * inv), p1 = f32x4.splat(load<f32>(w, 4) * inv), p2 = f32x4.splat(load<f32>(w, 8) * inv), p3 = f32x4.splat(load<f32>(w, 12) * inv);
        const row = outRows + <usize>h * rowBytes;
        for (let i = 0; i < hd; i += 4) {
          const o = row + (<usize>i << 2), v = v0 + (<usize>i << 2);
          let a = madd(p0, v128.load(v), v128.load(o));
          a = madd(p1, v128.load(v + rowBytes), a);
          a = madd(p2, v128.load(v + 2 * rowBytes), a);
          v128.store(o, madd(p3, v128.load(v + 3 * rowBytes), a));
        }
      }
    }
    for (; t < T; t++) {
      const value = values + <usize>t * rowBytes;
      for (let h = 0; h < group; h++) {
        const p = f32x4.splat(load<f32>(scores + (<usize>(h * cap + t) << 2)) * load<f32>(inverse + (<usize>h << 2)));
        const row = outRows + <usize>h * rowBytes;
        for (let i = 0; i < hd; i += 4) {
          const o = row + (<usize>i << 2);
          v128.store(o, madd(p, v128.load(value + (<usize>i << 2)), v128.load(o)));
        }
      }
    }
  }
}

/**
 * Scores this far below the top get weight 0 instead of e^(score − top) < 4·10⁻¹⁸: in float32 they cannot move
 * a sum that holds the top's 1, and their products with values would be subnormal floats, which x86 computes
 * slowly (measured: a peaked softmax made a 3B decode step @2048 take 104 ms instead of 88).
 */
const NEGLIGIBLE_SCORE: f32 = -40;

/** scores[0 … T) ← e^(score − max) in place (0 below NEGLIGIBLE_SCORE); returns their sum. */
function softmaxNumerators(scores: usize, T: i32): f32 {
  let top: f32 = -Infinity;
  for (let t = 0; t < T; t++) top = max(top, load<f32>(scores + (<usize>t << 2)));
  let sum: f32 = 0;
  let t = 0;
  for (; t + 4 <= T; t += 4) {
    const d = f32x4.sub(v128.load(scores + (<usize>t << 2)), f32x4.splat(top));
    const e = v128.and(exp4(d), f32x4.gt(d, f32x4.splat(NEGLIGIBLE_SCORE)));
    v128.store(scores + (<usize>t << 2), e);
    sum += hsum(e);
  }
  for (; t < T; t++) {
    const d = load<f32>(scores + (<usize>t << 2)) - top;
    const e: f32 = d > NEGLIGIBLE_SCORE ? Mathf.exp(d) : 0;
    store<f32>(scores + (<usize>t << 2), e);
    sum += e;
  }
  return sum;
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
