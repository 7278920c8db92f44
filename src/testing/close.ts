// Tolerance checks used by the golden tests: error relative to the reference tensor's max magnitude
// (the fo1-golden README's definition).
import { expect } from 'vitest';

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** max |actual − expected| / max |expected|. */
export function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let e = 0;
  for (let i = 0; i < actual.length; i++) e = Math.max(e, Math.abs(actual[i] - expected[i]));
  return e / Math.max(maxAbs(expected), 1e-30);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4, what = 'tensor'): void {
  const err = relErr(actual, expected);
  expect(err, `${what}: relative error ${err.toExponential(3)} > ${tol}`).toBeLessThanOrEqual(tol);
}
