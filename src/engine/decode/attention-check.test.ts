// The self-check's graph and oracle agree with onnxruntime's CPU GroupQueryAttention at every run it makes,
// so on WebGPU a disagreement is the adapter's, not the check's (the browser side: e2e/webgpu-attention.spec.ts).
import { describe, expect, it } from 'vitest';
import { ort } from '../../testing/ort.ts';
import type { Ort } from '../session.ts';
import { attentionError, attentionGraph, checkAttention, FLASH_PREFILL_MIN_RUN, LONG_RUNS, type AttentionGeometry } from './attention-check.ts';

const ortWeb = ort as unknown as Ort;
// A tiny head layout and the 3B decoder's (16 query heads sharing 2 kv heads of 128).
const geometries: AttentionGeometry[] = [
  { numHeads: 3, numKvHeads: 1, headDim: 16 },
  { numHeads: 16, numKvHeads: 2, headDim: 128 },
];

describe('attention self-check on the wasm backend', () => {
  for (const geom of geometries) {
    const label = `${geom.numHeads}/${geom.numKvHeads} heads of ${geom.headDim}`;

    it(`${label}: every run it makes matches the float32 reference`, async () => {
      const session = await ort.InferenceSession.create(attentionGraph(geom), { executionProviders: ['wasm'] });
      try {
        const chunk = FLASH_PREFILL_MIN_RUN - 1;
        for (const c of [...LONG_RUNS, { newTokens: chunk, past: 0 }, { newTokens: chunk, past: 17 }, { newTokens: 1, past: 47 }]) {
          expect(await attentionError(ortWeb, session, geom, c), `${c.newTokens} after ${c.past}`).toBeLessThan(1e-5);
        }
      } finally {
        await session.release();
      }
    });

    it(`${label}: reports no limit where long runs are right`, async () => {
      expect(await checkAttention(ortWeb, 'wasm', geom)).toEqual({ maxRun: Infinity, failures: '' });
    });
  }
});
