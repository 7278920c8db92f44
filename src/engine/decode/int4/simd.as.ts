// AssemblyScript: SIMD helpers the int4 kernels share (kernels.as.ts is the entry; this is one of its parts).


/**
 * 1.5·2^23: x + ROUNDER, for |x| < 2^22, is x rounded to an integer n (ties to even) whose bits hold
 * ROUNDER's + n, so the integer comes out with an integer subtract, where i32x4.trunc_sat_f32x4_s costs x86
 * several instructions of saturation fix-ups.
 */
export const ROUNDER: f32 = 12582912;

/** x rounded to the nearest integers (ties to even), as i32 lanes: for |x| < 2^22. */
@inline export function roundToInt4(x: v128): v128 {
  return i32x4.sub(f32x4.add(x, f32x4.splat(ROUNDER)), f32x4.splat(ROUNDER));
}

/** The largest of 4 lanes. */
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** max |x_i| over n floats at x. */
@inline export function absMax(x: usize, n: i32): f32 {
  let m: f32 = 0;
  for (let i = 0; i < n; i++) m = max(m, abs(load<f32>(x + (<usize>i << 2))));
  return m;
}

/** The sum of 4 lanes. */
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
