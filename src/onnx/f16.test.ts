import { describe, expect, it } from 'vitest';
import { ceilF16, f16Bits, f16Bytes, f16Value, fitsF16, roundF16, widenF16 } from './f16.ts';

describe('binary16', () => {
  it('encodes known values (normal, subnormal, limits, specials)', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [0.1, 0x2e66],
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -24 * 3, 0x0003], [65520, 0x7c00], [1e6, 0x7c00], [2 ** -26, 0x0000],
      [Infinity, 0x7c00], [-Infinity, 0xfc00],
    ];
    for (const [x, h] of cases) expect(f16Bits(x), `${x}`).toBe(h);
    expect(Number.isNaN(f16Value(f16Bits(NaN)))).toBe(true);
  });

  it('every finite binary16 value round-trips, and rounding is to nearest, ties to even', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      expect(f16Bits(f16Value(h))).toBe(h);
    }
    expect(f16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 0x3c00 and 0x3c01: even wins
    expect(f16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02: even wins
    expect(f16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(f16Bits(2 ** -25)).toBe(0x0000); // subnormal tie rounds to even 0
    expect(f16Bits(2 ** -25 * 3)).toBe(0x0002);
  });

  it('widenF16 gives f16Value of every bit pattern, into a given array or a new one', () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, h) => h);
    const wide = widenF16(all);
    for (let h = 0; h < 0x10000; h++) expect(Object.is(wide[h], Math.fround(f16Value(h))) || (Number.isNaN(wide[h]) && Number.isNaN(f16Value(h)))).toBe(true);
    const out = new Float32Array(2);
    expect(widenF16(Uint16Array.of(0x3c00, 0xc000), out)).toBe(out);
    expect(Array.from(out)).toEqual([1, -2]);
  });

  it('ceilF16 is the smallest binary16 value not below x', () => {
    for (const x of [0, 1, 0.1, 1 / 30, 3e-8, 1e-5, 1234.567]) {
      const c = ceilF16(x);
      expect(roundF16(c)).toBe(c);
      expect(c).toBeGreaterThanOrEqual(x);
      expect(f16Value(f16Bits(c) - 1) < x || c === 0).toBe(true);
    }
  });

  it('writes little-endian bytes and tells what fits', () => {
    expect(Array.from(f16Bytes([1, -2]))).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect(fitsF16([1, -65504])).toBe(true);
    expect(fitsF16([1, 70000])).toBe(false);
    expect(fitsF16([NaN])).toBe(false);
  });
});
