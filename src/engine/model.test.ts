// The engine's model over float16 graphs (Node, wasm): a q4f16 folder's decoder declares a float16 KV cache, the
// model feeds and keeps it as float16, and decoding token by token through that cache gives the logits of one
// run over the whole sequence. (The q4f16 numerics against q4 are converter/emit/decoder.test.ts's.)
// And on fp32 graphs: region_pyramid runs once per image, every later box set reusing its levels.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../../converter/convert.ts';
import { relErr } from '../testing/close.ts';
import { ort } from '../testing/ort.ts';
import * as realOrt from 'onnxruntime-web';
import { hasShared, NO_SHARED } from '../testing/shared.ts';
import type { KvCache } from './decode/kv-cache.ts';
import { loadModelFiles } from './load/load-model.ts';
import { NodeFolder } from './load/node-folder.ts';
import { Fo1Model } from './model.ts';
import { prepareBoxes, prepareImage } from './preprocess/prepare.ts';
import { atDetail } from './preprocess/detail.ts';
import type { Ort, OrtSession } from './session.ts';
import { tinyModel } from './testing/tiny-model.ts';

const never = new AbortController().signal;

describe.skipIf(!hasShared)(`Fo1Model on q4f16 graphs (tiny model) ${hasShared ? '' : NO_SHARED}`, () => {
  let dir: string;
  let model: Fo1Model;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fo1-q4f16-'));
    await convert({ checkpoint: (await tinyModel()).checkpoint, out: join(dir, 'model'), dtypes: ['q4f16'] });
    const files = await loadModelFiles(new NodeFolder(join(dir, 'model')), undefined, () => {}, never);
    expect(files.dtype).toBe('q4f16');
    model = await Fo1Model.create(ort, files.manifest, files.graphs, { backend: 'wasm', reason: 'test' }, () => {});
  }, 120_000);

  afterAll(async () => {
    await model?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Prefill of a few tokens, then greedy steps: the logits of every run, and the last cache. */
  const prompt = [1, 5, 9, 2, 7];
  /** Text M-RoPE ids: the same position on all three axes, (3, n). */
  const positions = (from: number, n: number) => Int32Array.from({ length: 3 * n }, (_, i) => from + (i % n));

  async function greedy(steps: number): Promise<{ logits: Float32Array[]; ids: number[]; cache: KvCache }> {
    let res = await model.decode(await model.embedText(prompt), positions(0, prompt.length), model.emptyCache());
    const logits = [res.logits];
    const ids: number[] = [];
    for (let s = 0; s < steps; s++) {
      ids.push(argmax(res.logits));
      const next = await model.decode(await model.embedText([ids[s]]), positions(prompt.length + s, 1), res.cache);
      res.cache.dispose();
      res = next;
      logits.push(res.logits);
    }
    return { logits, ids, cache: res.cache };
  }

  function argmax(a: Float32Array): number {
    let best = 0;
    for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
    return best;
  }

  it('keeps a float16 KV cache, and token-by-token logits equal one run over the whole sequence', async () => {
    const steps = 3;
    const { logits, ids, cache } = await greedy(steps);
    expect(Object.values(cache.prepare(1).feeds).every((t) => t.type === 'float16')).toBe(true);
    cache.dispose();
    // Each step's logits against one run over prompt + the tokens so far (its last position). Both compute in
    // float16; they differ only in summation order and where the float16 KV rounding happens, ≤ 1e-2 of the max
    // (converter/emit/decoder.test.ts's float16 bound).
    for (let s = 1; s <= steps; s++) {
      const seq = [...prompt, ...ids.slice(0, s)];
      const once = await model.decode(await model.embedText(seq), positions(0, seq.length), model.emptyCache());
      once.cache.dispose();
      expect(relErr(logits[s], once.logits), `step ${s}`).toBeLessThanOrEqual(1e-2);
      expect(argmax(once.logits)).toBe(argmax(logits[s]));
    }
  });
});

/** `ort` whose sessions count their runs, keyed by the session's input names (region_pyramid's: "vt_map"). */
function countingOrt(): { ort: Ort; runs: Map<string, number> } {
  const runs = new Map<string, number>();
  const InferenceSession = {
    async create(bytes: Uint8Array, options: realOrt.InferenceSession.SessionOptions) {
      const session = await ort.InferenceSession.create(bytes, options);
      const key = session.inputNames.join(',');
      const run = ((...args: Parameters<OrtSession['run']>) => {
        runs.set(key, (runs.get(key) ?? 0) + 1);
        return session.run(...args);
      }) as OrtSession['run'];
      return Object.assign(Object.create(session) as OrtSession, { run });
    },
  };
  return { ort: { ...ort, InferenceSession } as unknown as Ort, runs };
}

describe.skipIf(!hasShared)(`Fo1Model region encoding (tiny model, fp32) ${hasShared ? '' : NO_SHARED}`, () => {
  let model: Fo1Model;
  let counting: ReturnType<typeof countingOrt>;

  beforeAll(async () => {
    const files = await loadModelFiles(new NodeFolder((await tinyModel()).dir), 'fp32', () => {}, never);
    counting = countingOrt();
    model = await Fo1Model.create(counting.ort, files.manifest, files.graphs, { backend: 'wasm', reason: 'test' }, () => {});
  }, 120_000);

  afterAll(async () => { await model?.release(); });

  it('runs region_pyramid once per image: a new box set reuses its levels and gets what fresh features give', async () => {
    // A 200×150 gradient photo; two different box sets on it.
    const data = Uint8Array.from({ length: 200 * 150 * 3 }, (_, i) => (i * 7) % 251);
    const photo = { width: 200, height: 150, data };
    const prepared = prepareImage(photo, atDetail(model.manifest.image, 'reference'));
    const first = prepareBoxes(prepared, [{ x1: 10, y1: 10, x2: 120, y2: 90 }]);
    const second = prepareBoxes(prepared, [{ x1: 50, y1: 20, x2: 190, y2: 140 }, { x1: 0, y1: 0, x2: 60, y2: 60 }]);
    const pyramidRuns = () => counting.runs.get('vt_map') ?? 0;

    const features = await model.encodeImage(prepared);
    expect(features.pyramid, 'no pyramid before any boxes are asked about').toBeNull();
    await model.encodeRegions(features, first);
    expect(pyramidRuns()).toBe(1);
    const [gh, gw] = features.grid;
    expect(features.pyramid!.map((p) => p.dims.slice(2))).toEqual([[4 * gh, 4 * gw], [2 * gh, 2 * gw], [gh, gw], [gh >> 1, gw >> 1]]);
    const reused = await model.encodeRegions(features, second);
    expect(pyramidRuns(), 'the second box set ran no pyramid').toBe(1);

    const fresh = await model.encodeRegions(await model.encodeImage(prepared), second);
    expect(pyramidRuns()).toBe(2);
    expect(reused.length).toBe(2 * model.manifest.config.text.hiddenSize);
    expect(Array.from(reused)).toEqual(Array.from(fresh));
  });
});

describe.skipIf(!hasShared)(`Fo1Model checks each graph against its I/O contract (tiny model, fp32) ${hasShared ? '' : NO_SHARED}`, () => {
  it('refuses a graph whose names are not its component\'s, naming the graph and the name', async () => {
    const files = await loadModelFiles(new NodeFolder((await tinyModel()).dir), 'fp32', () => {}, never);
    // region_pyramid's file in vision_semantic's place: a real graph, with vt_map where pixel_values should be.
    const graphs = { ...files.graphs, vision_semantic: files.graphs.region_pyramid };
    await expect(Fo1Model.create(ort, files.manifest, graphs, { backend: 'wasm', reason: 'test' }, () => {})).rejects.toThrow(
      /^vision_semantic: the graph has no input pixel_values \(its inputs: vt_map\); re-convert the model$/,
    );
    // The contract's names are the emitted graphs' own: the unchanged folder loads.
    const model = await Fo1Model.create(ort, files.manifest, files.graphs, { backend: 'wasm', reason: 'test' }, () => {});
    await model.release();
  }, 120_000);
});
