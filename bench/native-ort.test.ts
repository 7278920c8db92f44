// The native adapter runs a graph whose weights are external data, given as bytes the way the engine gives
// them to onnxruntime-web, and computes what onnxruntime-web computes (tiny q4 model, embed_tokens).
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelFiles } from '../src/engine/load/load-model.ts';
import { NodeFolder } from '../src/engine/load/node-folder.ts';
import { tinyModel } from '../src/engine/testing/tiny-model.ts';
import { ort as web } from '../src/testing/ort.ts';
import { nativeOrt, type NativeOrt } from './native-ort.ts';

let native: NativeOrt | undefined;
afterAll(() => native?.close());

describe('nativeOrt', () => {
  it('creates a session from a graph and its external-data bytes on the CPU provider, with onnxruntime-web\'s results', async () => {
    const files = await loadModelFiles(new NodeFolder((await tinyModel(['q4'])).dir), 'q4', () => {}, new AbortController().signal);
    const g = files.graphs.embed_tokens;
    expect(g.externalData.length).toBeGreaterThan(0);
    native = await nativeOrt(2);
    const sessions = [
      await native.ort.InferenceSession.create(g.graph, { executionProviders: ['wasm'], externalData: g.externalData }),
      await web.InferenceSession.create(g.graph, { executionProviders: ['wasm'], externalData: g.externalData }),
    ];
    const ids = BigInt64Array.of(0n, 5n, 17n, 3n);
    const [a, b] = await Promise.all(sessions.map(async (s, i) => {
      const Tensor = i === 0 ? native!.ort.Tensor : web.Tensor;
      const out = await s.run({ [s.inputNames[0]]: new Tensor('int64', ids, [1, ids.length]) });
      return out[s.outputNames[0]].data as Float32Array;
    }));
    expect(a.length).toBe(b.length);
    expect(Array.from(a)).toEqual(Array.from(b));
    await Promise.all(sessions.map((s) => s.release()));
  }, 120_000);
});
