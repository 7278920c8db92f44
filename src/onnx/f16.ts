// IEEE 754 binary16 bit patterns: how the graphs store float16 initializers (int4 block scales, conv kernels,
// the float16 dtypes' weights) and how the engine's int4 kernels read the scales back.

/** Largest finite binary16 value. */
export const F16_MAX = 65504;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to x (round half to even; overflow → ±∞, underflow → ±0). */
export function f16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal: value = m · 2⁻²⁴, m = (1.mant · 2²³) >> (14 − e), rounded.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const rem = m & ((1 << shift) - 1), mid = 1 << (shift - 1);
    let half = m >>> shift;
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is the right result
  return sign | h;
}

/** The float a binary16 bit pattern stands for. */
export function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let widened: Float32Array | null = null;

/**
 * Float16 bit patterns widened to float32, `out[i] = f16Value(half[i])`: through a table of all 65,536 values
 * (built on first use), since a weight's block scales are millions of values (the decoder's int4 weights,
 * src/engine/decode/int4/weights.ts, and the encoders' int8 rewrite, src/engine/encoders/int8-linears.ts).
 */
export function widenF16(half: Uint16Array, out: Float32Array = new Float32Array(half.length)): Float32Array {
  if (!widened) {
    widened = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) widened[h] = f16Value(h);
  }
  for (let i = 0; i < half.length; i++) out[i] = widened[half[i]];
  return out;
}

/** x rounded to binary16 (as a float). */
export function roundF16(x: number): number {
  return f16Value(f16Bits(x));
}

/** The smallest binary16 value ≥ x, for x ≥ 0 (an int4 scale rounded up still spans its block's range). */
export function ceilF16(x: number): number {
  const h = f16Bits(x);
  return f16Value(f16Value(h) < x ? h + 1 : h);
}

/** Little-endian binary16 bytes of `a` (each value rounded to nearest). */
export function f16Bytes(a: ArrayLike<number>): Uint8Array {
  const out = new Uint16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f16Bits(a[i]);
  return new Uint8Array(out.buffer);
}

/** Whether every value of `a` is finite in binary16 (a weight that is not stays float32). */
export function fitsF16(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]) <= F16_MAX)) return false;
  return true;
}
