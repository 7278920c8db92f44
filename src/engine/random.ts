// The one seeded generator of the repository (mulberry32: 32 bits of state, fast, and good enough for
// sampling and test data). The sampler draws from it at run time; tests and benchmarks take their random
// numbers from it through fixtures/random.ts, so a seed means the same stream everywhere.

/** A seeded uniform [0, 1) stream. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
