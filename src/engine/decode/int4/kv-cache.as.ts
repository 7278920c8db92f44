// AssemblyScript: the decoder's KV cache in int8, written by storeKv and read by attention.as.ts (kernels.as.ts
// is the entry).
import { absMax } from './simd.as';

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
@inline export function roundedCap(cap: i32): i32 {
  return (cap + 7) & ~7;
}

/**
 * Dims per group of key codes (G above): the relaxed dot multiplies 4 int8 query codes by 4 key codes per i32
 * lane (16 bytes: 4 positions); plain SIMD widens 8 key codes to i16 as it loads them (2 dims of 4 positions),
 * and i32x4.dot_i16x8_s sums pairs of dims.
 */
export const KEY_DIMS: i32 = ASC_FEATURE_RELAXED_SIMD ? 4 : 2;

/** Dims per key scale: 32, or the whole head where hd is no multiple of 32. */
@inline export function keyBlock(hd: i32): i32 {
  return hd % 32 == 0 ? 32 : hd;
}

/** Zero point of the key codes: 1 … 127 stand for −63 … 63. */
export const KEY_ZERO: i32 = 64;

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
