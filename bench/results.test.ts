import { describe, expect, it } from 'vitest';
import type { DecodeFigure } from './decoder-bench.ts';
import type { AnswerRun } from './answer-bench.ts';
import { peerGoalLabel, renderMarkdown } from './results-markdown.ts';
import { deriveRatios, fullQ4Wasm, kvBytes, peerGoal, sameRuntimePair, type DecoderRun, type PeerRecord, type PeerSideRun, type Results } from './results.ts';

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
    expect(deriveRatios(r)).toEqual({ wasm_vs_native_decode: null, decode_4096_vs_512: null, ortweb_wasm_vs_native_decode: null, ortweb_decode_4096_vs_512: null, native_decode_4096_vs_512: null, int4_simd_vs_native_decode: null, vs_transformersjs_decode_2048: null, vs_transformersjs_decode_2048_same_runtime: null, decode_4096_vs_512_kv_context: null, followup_ttft_vs_first_tiny: null, followup_ttft_vs_first_full: null, first_ttft_wasm_vs_native: null, browser_convert_vs_cli: null });
  });
});

describe('deriveRatios (transformers.js peer, figure 2)', () => {
  const INT4 = 'fo1-web int4 kernels, wasm relaxed SIMD';
  const side = (tps: number, runtime: string, kind = 'onnxruntime session'): PeerSideRun => ({
    side: 'engine', runtime, version: 'x', decoder: { kind, reason: 'r' }, context: 2048, newTokens: 16, loadMs: 1, prefillMs: s(1), decodeTokensPerSecond: s(tps), decoderRunMs: s(1), ids: [1],
    samples: { prefillMs: [1], decodeTokensPerSecond: [tps], decoderRunMs: [1] },
  });
  const NATIVE = 'ORT-node 1.30.0 native CPU ×2';
  const rec = (preset: string, runtime: string, engine: PeerSideRun | null, peer: number | null, context = 2048): PeerRecord => ({
    preset, dtype: 'q4', runtime, context, newTokens: 16, errors: [],
    ...(peer === null ? {} : { transformersjs: side(peer, runtime.startsWith('native') ? NATIVE : 'ORT-web wasm ×2') }),
    ...(engine === null ? {} : { engine }),
  });

  it('divides the engine on wasm (its int4 decoder) by transformers.js\' fastest full-model run at 2048, and keeps the native same-session ratio beside it', () => {
    const peer = {
      tiny: rec('tiny', 'wasm:2', side(90, 'wasm ×2', INT4), 10),
      wasm: rec('full', 'wasm:2', side(6, 'wasm ×2', INT4), null),
      native: rec('full', 'native:2', side(9, NATIVE), 7.5),
      // faster, but at 512 context: not the goal's size
      short: rec('full', 'native:2', side(50, NATIVE), 40, 512),
    };
    const goal = peerGoal(peer);
    expect(goal).toMatchObject({ basis: 'product', engine: peer.wasm.engine, transformersjs: peer.native.transformersjs });
    expect(sameRuntimePair(peer)).toMatchObject({ basis: 'same runtime', engine: peer.native.engine, transformersjs: peer.native.transformersjs });
    expect(deriveRatios({ peer })).toMatchObject({ vs_transformersjs_decode_2048: 0.8, vs_transformersjs_decode_2048_same_runtime: 1.2 });
    expect(peerGoalLabel(goal)).toBe(`ours ÷ transformers.js decode tok/s @2048, full q4: the engine on wasm ×2 (${INT4}, the product's wasm decoder) ÷ transformers.js' fastest full q4 run, on ${NATIVE}: a runtime browsers do not have, the peer's most favourable case (figure 2)`);
  });

  it('takes transformers.js\' fastest run over every runtime it was measured on', () => {
    const peer = { wasm: rec('full', 'wasm:2', side(6, 'wasm ×2', INT4), 12), native: rec('full', 'native:2', side(9, NATIVE), 7.5) };
    expect(peerGoal(peer)?.transformersjs).toBe(peer.wasm.transformersjs);
    expect(deriveRatios({ peer }).vs_transformersjs_decode_2048).toBe(0.5);
  });

  it('falls back to the same-runtime pair, native first, without the engine\'s full wasm figure', () => {
    const peer = { a: rec('tiny', 'native:2', side(30, NATIVE), 10), b: rec('full', 'wasm:2', null, 4), c: rec('full', 'native:2', side(9, NATIVE), 6) };
    expect(peerGoal(peer)).toMatchObject({ basis: 'same runtime', engine: peer.c.engine });
    expect(deriveRatios({ peer })).toMatchObject({ vs_transformersjs_decode_2048: 1.5, vs_transformersjs_decode_2048_same_runtime: 1.5 });
    expect(peerGoalLabel(peerGoal(peer))).toBe(`ours ÷ transformers.js decode tok/s @2048, full q4, both on ${NATIVE} (onnxruntime session on both sides; figure 2)`);
  });

  it('is null without a full-model engine figure and a transformers.js one at 2048', () => {
    const r = deriveRatios({ peer: { a: rec('full', 'native:2', null, 6), b: rec('tiny', 'wasm:2', side(3, 'wasm ×2', INT4), 2) } });
    expect(r.vs_transformersjs_decode_2048).toBeNull();
    expect(r.vs_transformersjs_decode_2048_same_runtime).toBeNull();
  });
});

describe('kvBytes', () => {
  it('counts fp32 keys and values of every layer: 36 · 2 · 2 · 128 · 4 B = 73,728 B per position for the 3B decoder', () => {
    expect(kvBytes({ layers: 36, hidden: 2048, kvHeads: 2, headDim: 128 }, 1)).toBe(73728);
    expect(kvBytes({ layers: 36, hidden: 2048, kvHeads: 2, headDim: 128 }, 4096)).toBe(73728 * 4096);
  });

  it('counts the int4 kernels\' int8 cache: 128 key and 128 value codes, 4 key scales and 1 value scale per position and kv head', () => {
    expect(kvBytes({ layers: 36, hidden: 2048, kvHeads: 2, headDim: 128 }, 1, 'int8')).toBe(36 * 2 * (256 + 5 * 4));
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
    const answered = { preset: 'tiny', dtype: 'q4', encoders: 'int8', followUpVsFirst: 0.04, summary: {} } as unknown as NonNullable<Results['answers']>[string];
    const failed = { preset: 'full', dtype: 'q4', answered: false as const, error: 'heap' };
    const r = deriveRatios({ answers: { a: answered, b: failed } });
    expect(r.followup_ttft_vs_first_tiny).toBe(0.04);
    expect(r.followup_ttft_vs_first_full).toBeNull();
  });

  it('divides the full model\'s first TTFT on wasm (int8 encoders, the default) by native\'s at the same threads', () => {
    const full = (runtime: string | undefined, ttft: number, encoders: 'int4' | 'int8' = runtime?.startsWith('native') ? 'int4' : 'int8') =>
      ({ preset: 'full', dtype: 'q4', runtime, encoders, followUpVsFirst: 0.01, summary: { firstTtftMs: { median: ttft } } }) as unknown as NonNullable<Results['answers']>[string];
    const ratioOf = (answers: NonNullable<Results['answers']>) => deriveRatios({ answers }).first_ttft_wasm_vs_native;
    expect(ratioOf({ a: full('wasm:2', 90_000, 'int4'), b: full('wasm:2', 70_000), c: full('native:2', 35_000) })).toBe(2);
    expect(ratioOf({ b: full('wasm:2', 70_000), c: full('native:4', 35_000) })).toBeNull();
    expect(ratioOf({ b: full(undefined, 70_000), c: full('native:2', 35_000) })).toBeNull(); // a record from before runtimes were recorded
    expect(ratioOf({ c: full('native:2', 35_000) })).toBeNull();
  });
});

describe('read ahead (Engine.prepare) in the results', () => {
  const t = (ttftMs: number, prefillMs: number, regionsMs = 0) => ({ preprocessMs: 1, visionMs: 0, regionsMs, prefillMs, ttftMs, decodeTokPerS: 4 });
  const run = {
    preset: 'full', dtype: 'q4', answered: true, photo: 'COCO x.jpg (640×480)', boxes: 20, maxNewTokens: 8, loadMs: 1000, backend: 'wasm', runtime: 'wasm:2', encoders: 'int8',
    rounds: [], summary: { firstTtftMs: { median: 61000 } }, followUpVsFirst: 0.01, firstAnswer: '', peakRssBytes: 1,
    readAhead: { prepare: { preprocessMs: 40, visionMs: 27900, regionsMs: 3900, prefillMs: 29000, totalMs: 60900, prefixTokens: 470 }, question: t(820, 800), drawnBox: t(5200, 2100, 3000) },
  } as unknown as AnswerRun;

  it('summarizes it for the goals: prepare time, then the waits after it', () => {
    expect(fullQ4Wasm(run, 2, 'low').read_ahead).toEqual({ prepare_ms: 60900, first_ttft_ms: 820, drawn_box_ttft_ms: 5200 });
  });

  it('renders one row per model with the prepare steps and both waits', () => {
    const md = renderMarkdown({ answers: { 'full q4 wasm:2': { ...run, summary: { firstTtftMs: { median: 61000 }, followUpTtftMs: { median: 820 }, visionMs: { median: 1 }, regionsMs: { median: 1 }, firstPrefillMs: { median: 1 }, followUpPrefillMs: { median: 1 }, decodeTokPerS: { median: 4 } } } as unknown as AnswerRun } } as Results);
    expect(md).toContain('| full q4 wasm:2 | 27940 | 3900 | 29000 | **60900** | 470 | 800 | **820** | 3000 | 2100 | **5200** |');
  });
});
