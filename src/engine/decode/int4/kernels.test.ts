// Each kernel against a plain-JS statement of what it computes, in both builds (plain and relaxed SIMD) on both
// one and several threads; and the committed wasm against a fresh compile of kernels.as.ts. Node 20 has relaxed
// SIMD behind a flag, which vitest.config.ts turns on so that Node runs the build Chrome runs.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causalGqa } from '../../../../reference/decoder.ts';
import { permute, tensor } from '../../../../reference/tensor.ts';
import { dequantizeQ4, quantizeQ4 } from '../../../../converter/quantize/q4.ts';
import { relErr } from '../../../testing/close.ts';
import { compileAllKernels, kernelsModuleText } from './build-kernels.ts';
import { GEMM_JOB_BYTES, Kernels, type KernelIsa } from './kernels.ts';
import { KERNELS_WASM_BASE64 } from './kernels.wasm.ts';
import { relaxedSimdNodeFlags } from './node-flags.ts';
import { mulberry32 } from '../../../../fixtures/random.ts';

const rand = mulberry32(7);
const randoms = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);

const ISAS: KernelIsa[] = ['simd', 'relaxed-simd'];
/** Each build on one thread and on three. */
const POOLS = ISAS.flatMap((isa) => [1, 3].map((threads) => ({ isa, threads })));
const pools = new Map<string, Kernels>();
const pool = (isa: KernelIsa, threads: number) => pools.get(`${isa}×${threads}`)!;
beforeAll(async () => {
  for (const { isa, threads } of POOLS) pools.set(`${isa}×${threads}`, await Kernels.create(threads, isa));
});
afterAll(() => pools.forEach((k) => k.close()));

/** x rounded as quantizeRows rounds it: per block of 32, to int8 steps of max|x|/127. */
function int8Rounded(x: Float32Array, K: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / K; r++)
    for (let k0 = 0; k0 < K; k0 += 32) {
      const block = x.subarray(r * K + k0, r * K + Math.min(K, k0 + 32));
      const amax = block.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const inv = amax > 0 ? Math.fround(127 / amax) : 0;
      block.forEach((v, i) => (out[r * K + k0 + i] = Math.round(Math.fround(v * inv)) * Math.fround(amax / 127)));
    }
  return out;
}

describe('int4 kernels', () => {
  it('kernels.wasm.ts is the compile of kernels.as.ts for both builds (run `npm run kernels` after editing it)', async () => {
    const wasm = await compileAllKernels();
    for (const isa of ISAS) expect(Buffer.from(KERNELS_WASM_BASE64[isa], 'base64').equals(Buffer.from(wasm[isa])), isa).toBe(true);
    expect(kernelsModuleText(wasm)).toContain(KERNELS_WASM_BASE64['relaxed-simd']);
  }, 60_000);

  it('picks the relaxed-SIMD build where it works, and its activation codes are int8 (plain SIMD: i16)', async () => {
    const k = await Kernels.create(1);
    k.close();
    expect(k.isa).toBe('relaxed-simd');
    expect([pool('relaxed-simd', 1).xqBlockBytes, pool('simd', 1).xqBlockBytes]).toEqual([32, 64]);
  });

  /** A random int4 weight (N, K) in kernel memory, and what it stands for (N, K) float. */
  function int4Weight(k: Kernels, N: number, K: number) {
    const q = quantizeQ4(randoms(N * K), N, K, 32);
    const kb = q.kBlocks;
    const { B, S, Z } = k.loadQ4(q.packed, q.scales, q.zeroPoints, N, kb);
    return { B, S, Z, N, kb, W: dequantizeQ4(q) };
  }

  it.each(POOLS)('gemmQ4 ($isa, $threads thread(s)) is x·Wᵀ for each int4 W of one call and the int8-rounded x, K not a whole number of blocks', ({ isa, threads }) => {
    const k = pool(isa, threads);
    // kb = 7, the last block mostly padding; M = 5: a pass of four tokens and one of a single token; rows in groups
    // of four with a last group of 1, 2 and 3 rows, the last two weights smaller than one thread's share
    const M = 5, K = 200;
    const weights = [int4Weight(k, 37, K), int4Weight(k, 6, K), int4Weight(k, 3, K)];
    const kb = weights[0].kb;
    const x = randoms(M * K);
    const X = k.alloc(M * K * 4), XQ = k.alloc(M * kb * k.xqBlockBytes), XS = k.alloc(M * kb * 4), XSUM = k.alloc(M * kb * 4), JOBS = k.alloc(weights.length * GEMM_JOB_BYTES);
    const ys = weights.map((w) => k.alloc(M * w.N * 4));
    k.f32(X, M * K).set(x);
    k.exports.quantizeRows(X, M, K, kb, XQ, XS, XSUM);
    k.gemm(JOBS, weights.map((w, i) => ({ ...w, xq: XQ, xsc: XS, xsum: XSUM, M, y: ys[i] })));
    const xr = int8Rounded(x, K);
    weights.forEach(({ N, W }, i) => {
      const expected = new Float32Array(M * N);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) for (let j = 0; j < K; j++) expected[m * N + n] += xr[m * K + j] * W[n * K + j];
      expect(relErr(k.f32(ys[i], M * N), expected)).toBeLessThan(1e-5);
    });
  });

  // Node 20's baseline compiler gets the i32 form wrong, so kernels.ts does not offer it there (dot-form.ts); with
  // the optimizing compiler alone it is right, and Chromium offers it. A fresh Node runs it that way.
  it('the relaxed build\'s i32 dot form, where offered, gives the i16 form\'s exact sums (Node without its baseline compiler)', () => {
    const script = `
      import { Kernels } from './src/engine/decode/int4/kernels.ts';
      const k = await Kernels.create(1, 'relaxed-simd');
      const M = 5, N = 9, K = 224, kb = K / 32; // four tokens and one; two groups of four rows and one of one
      const { B, S, Z } = k.loadQ4(
        Uint8Array.from({ length: N * kb * 16 }, (_, i) => Math.imul(i + 1, 2654435761) >>> 24),
        Float32Array.from({ length: N * kb }, (_, i) => 0.01 * (1 + (i % 5))),
        Uint8Array.from({ length: N * Math.ceil(kb / 2) }, (_, i) => (i * 37) % 256), N, kb);
      const X = k.alloc(M * K * 4), XQ = k.alloc(M * kb * k.xqBlockBytes), XS = k.alloc(M * kb * 4), XSUM = k.alloc(M * kb * 4), JOBS = k.alloc(64);
      const Y = [k.alloc(M * N * 4), k.alloc(M * N * 4)];
      k.f32(X, M * K).forEach((_, i, a) => (a[i] = Math.sin(i)));
      k.exports.quantizeRows(X, M, K, kb, XQ, XS, XSUM);
      for (const form of [0, 1]) k.gemm(JOBS, [{ B, S, Z, N, kb, xq: XQ, xsc: XS, xsum: XSUM, M, y: Y[form] }], form);
      const [a, b] = Y.map((y) => Array.from(k.f32(y, M * N)));
      console.log(JSON.stringify({ forms: k.dotForms, identical: a.every((v, i) => v === b[i]), nonzero: a.filter((v) => v !== 0).length }));
      k.close();`;
    const flags = [...relaxedSimdNodeFlags(), '--no-liftoff', '--import', 'tsx', '--input-type=module'];
    const r = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(got).toEqual({ forms: [0, 1], identical: true, nonzero: 45 });
  }, 30_000);

  /** keys and values (kvh, T, hd) rounded as storeKv rounds them: keys to 7 bits per block of 32 dims (or per head), values to 8 bits per position. */
  function int8Kv(keys: Float32Array, values: Float32Array, hd: number) {
    const round = (x: Float32Array, block: number, levels: number) =>
      Float32Array.from(x, (_, i) => {
        const from = i - (i % block), amax = x.subarray(from, from + block).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        return amax > 0 ? Math.round(Math.fround(x[i] * Math.fround(levels / amax))) * Math.fround(amax / levels) : 0;
      });
    return { keys: round(keys, hd % 32 ? hd : 32, 63), values: round(values, hd, 127) };
  }

  /** Stores keys and values (kvh, T, hd) with storeKv, in chunks of `chunk` positions, and runs attention for the last S. */
  function runAttention(k: Kernels, threads: number, d: { nh: number; kvh: number; hd: number; S: number; T: number; cap: number; chunk: number }, q: Float32Array, keys: Float32Array, values: Float32Array) {
    const { nh, kvh, hd, S, T, cap } = d;
    const KC = k.alloc(k.exports.kvKeyBytes(kvh, hd, cap)), VC = k.alloc(k.exports.kvValueBytes(kvh, hd, cap));
    const Q = k.alloc(q.length * 4), O = k.alloc(q.length * 4), SC = k.alloc(threads * k.exports.attentionScratchBytes(hd, cap));
    const rowsK = k.alloc(d.chunk * kvh * hd * 4), rowsV = k.alloc(d.chunk * kvh * hd * 4);
    for (let p = 0; p < T; p += d.chunk) {
      const n = Math.min(d.chunk, T - p);
      // (kvh, T, hd) → the (n, kvh, hd) rows a run stores
      for (let t = 0; t < n; t++)
        for (let g = 0; g < kvh; g++) {
          k.f32(rowsK + (t * kvh + g) * hd * 4, hd).set(keys.subarray((g * T + p + t) * hd, (g * T + p + t + 1) * hd));
          k.f32(rowsV + (t * kvh + g) * hd * 4, hd).set(values.subarray((g * T + p + t) * hd, (g * T + p + t + 1) * hd));
        }
      k.exports.storeKv(rowsK, rowsV, n, p, kvh, hd, cap, KC, VC);
    }
    k.f32(Q, q.length).set(q);
    k.parallel('attention', [Q, KC, VC, O, S, T - S, nh, kvh, hd, cap, SC]);
    return k.f32(O, q.length).slice();
  }

  const gqa = (q: Float32Array, keys: Float32Array, values: Float32Array, d: { nh: number; kvh: number; hd: number; S: number; T: number }) =>
    permute(causalGqa(permute(tensor(q, [d.S, d.nh, d.hd]), [1, 0, 2]), tensor(keys, [d.kvh, d.T, d.hd]), tensor(values, [d.kvh, d.T, d.hd])), [1, 0, 2]).data;

  // Three query heads per kv head (a pair and a lone head), capacity and T no multiple of 4, positions stored
  // in chunks that straddle quads; hd 16 (one key block per head) and 64 (blocks of 32).
  it.each(POOLS.flatMap((p) => [16, 64].map((hd) => ({ ...p, hd }))))('attention ($isa, $threads thread(s), hd $hd) over the int8 cache is causal GQA (reference causalGqa) on the cache\'s rounded keys and values', ({ isa, threads, hd }) => {
    const k = pool(isa, threads);
    const d = { nh: 6, kvh: 2, hd, S: 3, T: 11, cap: 13, chunk: 3 };
    const q = randoms(d.S * d.nh * hd), keys = randoms(d.kvh * d.T * hd), values = randoms(d.kvh * d.T * hd);
    const got = runAttention(k, threads, d, q, keys, values);
    const rounded = int8Kv(keys, values, hd);
    // What is left once the cache's rounding is taken out: queries in int8, weights in 15 bits.
    expect(relErr(got, gqa(q, rounded.keys, rounded.values, d))).toBeLessThan(3e-3);
    // And all of it, against float32 attention: well inside the 2⁻⁸ of the bfloat16 the model was trained in.
    expect(relErr(got, gqa(q, keys, values, d))).toBeLessThan(1e-2);
  });

  it.each(ISAS)('attention (%s) on a peaked softmax (scores 0 … −2000 below the top) is still causal GQA: the negligible weights it drops change nothing', (isa) => {
    const k = pool(isa, 1);
    const d = { nh: 2, kvh: 1, hd: 16, S: 1, T: 41, cap: 48, chunk: 41 };
    const q = randoms(d.nh * d.hd).map((v) => v * 30), keys = randoms(d.T * d.hd).map((v) => v * 30), values = randoms(d.T * d.hd);
    const got = runAttention(k, 1, d, q, keys, values);
    const spread = Math.max(...Array.from({ length: d.T }, (_, t) => Math.abs(q.slice(0, d.hd).reduce((sum, v, i) => sum + v * keys[t * d.hd + i], 0)))) / Math.sqrt(d.hd);
    expect(spread).toBeGreaterThan(100); // many scores fall below the cut
    const rounded = int8Kv(keys, values, d.hd);
    expect(relErr(got, gqa(q, rounded.keys, rounded.values, d))).toBeLessThan(3e-3);
  });

  it.each(ISAS)('attention (%s) sums long contexts in int32 without overflow: 700 equal largest values under flat weights average to that value', (isa) => {
    const k = pool(isa, 1);
    const d = { nh: 2, kvh: 1, hd: 16, S: 1, T: 700, cap: 704, chunk: 64 };
    // q = 0: every score is 0, every weight the largest (32767); every value code 127, more pairs than one int32 run holds
    const got = runAttention(k, 1, d, new Float32Array(d.nh * d.hd), randoms(d.T * d.hd), new Float32Array(d.T * d.hd).fill(0.75));
    expect(relErr(got, new Float32Array(d.nh * d.hd).fill(0.75))).toBeLessThan(1e-6);
  });

  it.each(POOLS)('siluMul ($isa, $threads thread(s)) is silu(gate)·up, for large positive and negative gates too', ({ isa, threads }) => {
    const k = pool(isa, threads);
    const n = 64 * 4 + 4; // vectors no multiple of the thread count
    const gate = Float32Array.from(randoms(n), (v, i) => v * (i % 8 === 0 ? 60 : 6)), up = randoms(n);
    const G = k.alloc(n * 4), U = k.alloc(n * 4);
    k.f32(G, n).set(gate);
    k.f32(U, n).set(up);
    k.parallel('siluMul', [G, U, n]);
    expect(relErr(k.f32(G, n), Float32Array.from(gate, (g, i) => (g / (1 + Math.exp(-g))) * up[i]))).toBeLessThan(1e-6);
  });

  it('loadQ4 refuses codes, scales or zero points that are not the (N, kb) weight it is told', () => {
    const k = pool('simd', 1);
    expect(() => k.loadQ4(new Uint8Array(3 * 2 * 16), new Float32Array(6), new Uint8Array(6), 3, 2)).toThrow(/needs 96 code bytes, 6 scales and 3 zero-point bytes \(got 96, 6, 6\)/);
  });

  it('refuses a thread count that is not a positive integer', async () => {
    await expect(Kernels.create(0)).rejects.toThrow(/positive integer/);
  });
});
