import { describe, expect, it } from 'vitest';
import type { DecodeFigure } from './decoder-bench.ts';
import { deriveRatios, kvBytes, peerGoalRecord, type DecoderRun, type PeerRecord, type PeerSideRun, type Results } from './results.ts';

const s = (median: number) => ({ median, min: median, max: median, runs: 1 });
const run = (runtime: 'wasm' | 'native' | 'int4', tps: Record<number, number>): DecoderRun => ({
  version: 'x',
  spec: { runtime, threads: 2 },
  fileBytes: 1,
  loadMs: 1,
  peakRssBytes: 1,
  decode: Object.entries(tps).map(([c, v]): DecodeFigure => ({ context: Number(c), msPerToken: s(1000 / v), tokensPerSecond: s(v) })),
  prefill: [],
});

describe('deriveRatios', () => {
  it('compares the engine\'s wasm decoder (int4 kernels) with native at 2048 and with itself at 4096 vs 512; ORT-web wasm alongside', () => {
    const r: Results = { decoder: { dtype: 'q4', graph: 'g', native: run('native', { 512: 10, 2048: 8, 4096: 6 }), int4: run('int4', { 512: 8, 2048: 6, 4096: 4 }), wasm: run('wasm', { 512: 4, 2048: 2, 4096: 3 }) } };
    expect(deriveRatios(r)).toMatchObject({ wasm_vs_native_decode: 0.75, decode_4096_vs_512: 0.5, native_decode_4096_vs_512: 0.6, ortweb_wasm_vs_native_decode: 0.25, ortweb_decode_4096_vs_512: 0.75 });
  });

  it('leaves a ratio null when a side was not measured', () => {
    const r: Results = { decoder: { dtype: 'q4', graph: 'g', native: run('native', { 512: 10 }) } };
    expect(deriveRatios(r)).toEqual({ wasm_vs_native_decode: null, decode_4096_vs_512: null, ortweb_wasm_vs_native_decode: null, ortweb_decode_4096_vs_512: null, native_decode_4096_vs_512: null, int4_simd_vs_native_decode: null, vs_transformersjs_decode_2048: null, decode_4096_vs_512_kv_context: null, followup_ttft_vs_first_tiny: null, followup_ttft_vs_first_full: null });
  });
});

describe('deriveRatios (transformers.js peer, figure 2)', () => {
  const side = (tps: number, runtime: string): PeerSideRun => ({
    side: 'engine', runtime, version: 'x', context: 2048, newTokens: 16, loadMs: 1, prefillMs: s(1), decodeTokensPerSecond: s(tps), decoderRunMs: s(1), ids: [1],
    samples: { prefillMs: [1], decodeTokensPerSecond: [tps], decoderRunMs: [1] },
  });
  const rec = (preset: string, runtime: string, engine: number | null, peer: number, context = 2048): PeerRecord => ({
    preset, dtype: 'q4', runtime, context, newTokens: 16, errors: [],
    transformersjs: side(peer, runtime),
    ...(engine === null ? {} : { engine: side(engine, runtime) }),
  });

  it('divides the engine by transformers.js on the full model at 2048, both on native when measured there', () => {
    const peer = { a: rec('tiny', 'native:2', 30, 10), b: rec('full', 'wasm:2', 1, 4), c: rec('full', 'native:2', 9, 6), d: rec('full', 'native:2', 50, 5, 512) };
    expect(peerGoalRecord(peer)).toBe(peer.c);
    expect(deriveRatios({ peer }).vs_transformersjs_decode_2048).toBe(1.5);
  });

  it('is null without a full-model pair measured on one runtime', () => {
    expect(deriveRatios({ peer: { a: rec('full', 'native:2', null, 6), b: rec('tiny', 'wasm:2', 3, 2) } }).vs_transformersjs_decode_2048).toBeNull();
  });
});

describe('kvBytes', () => {
  it('counts fp32 keys and values of every layer: 36 · 2 · 2 · 128 · 4 B = 73,728 B per position for the 3B decoder', () => {
    expect(kvBytes({ layers: 36, hidden: 2048, kvHeads: 2, headDim: 128 }, 1)).toBe(73728);
    expect(kvBytes({ layers: 36, hidden: 2048, kvHeads: 2, headDim: 128 }, 4096)).toBe(73728 * 4096);
  });
});

describe('deriveRatios (kv-context and follow-up figures)', () => {
  const kvRun = (ms512: number, ms4096: number): NonNullable<Results['kv_context']> => ({
    version: 'x',
    threads: 2,
    layers: 2,
    rounds: 1,
    contexts: [512, 4096],
    vocab: 8192,
    msPerStep: { 512: { engine: s(ms512), 'no-copy-out': s(1), 'no-past': s(1) }, 4096: { engine: s(ms4096), 'no-copy-out': s(1), 'no-past': s(1) } },
  });

  it('gives decode tokens/s at 4096 over 512 of the engine variant: ms at 512 ÷ ms at 4096', () => {
    expect(deriveRatios({ kv_context: kvRun(40, 50) }).decode_4096_vs_512_kv_context).toBe(0.8);
  });

  it('takes the follow-up ÷ first TTFT of each preset’s q4 answer, null where it did not answer', () => {
    const answered = { preset: 'tiny', dtype: 'q4', followUpVsFirst: 0.04, summary: {} } as unknown as NonNullable<Results['answers']>[string];
    const failed = { preset: 'full', dtype: 'q4', answered: false as const, error: 'heap' };
    const r = deriveRatios({ answers: { a: answered, b: failed } });
    expect(r.followup_ttft_vs_first_tiny).toBe(0.04);
    expect(r.followup_ttft_vs_first_full).toBeNull();
  });
});
