// AssemblyScript: the MLP's gate, silu(gate) · up (kernels.as.ts is the entry).

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

/**
 * gate (M, I) ← silu(gate) · up, silu(g) = g / (1 + e^−g); the element count a multiple of 4, split across the
 * threads in whole vectors.
 */
export function siluMul(gate: usize, up: usize, count: i32, thread: i32, threads: i32): void {
  const one = f32x4.splat(1);
  const vectors = count >> 2;
  const from = <i32>((<i64>vectors * thread) / threads) << 2, to = <i32>((<i64>vectors * (thread + 1)) / threads) << 2;
  for (let i = from; i < to; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(gate + o);
    // e^−|g| stays in exp4's domain; for g < 0, 1/(1 + e^−g) = e^g / (1 + e^g): one division serves both.
    const e = exp4(f32x4.neg(f32x4.abs(g)));
    const d = f32x4.div(one, f32x4.add(one, e));
    const sig = v128.bitselect(d, f32x4.mul(e, d), f32x4.ge(g, f32x4.splat(0)));
    v128.store(gate + o, f32x4.mul(f32x4.mul(g, sig), v128.load(up + o)));
  }
}
