// AssemblyScript: causal grouped-query attention over the int8 KV cache of kv-cache.as.ts, in integer dots
// (kernels.as.ts is the entry).
import { KEY_DIMS, KEY_ZERO, keyBlock, roundedCap } from './kv-cache.as';
import { storeCode, XQ_CODE_BYTES } from './quantize.as';
import { absMax, hmax, hsum, ROUNDER, roundToInt4 } from './simd.as';

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
