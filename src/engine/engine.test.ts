// The engine end to end in Node (onnxruntime-web wasm) on the tiny random-weight model converted by the
// converter: a real COCO photo and its ground-truth boxes → streamed tokens → parsed answer. Random
// weights produce gibberish, so these tests check structure, determinism, equality of paths (follow-up
// vs fresh, after a cancel vs fresh) and typed errors — never words.
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from './engine-error.ts';
import type { AskOptions, BackendChange, ImageInput, PixelBox } from './api.ts';
import { hasShared, NO_SHARED, sharedAsset } from '../testing/shared.ts';
import { Fo1Engine as Engine } from './engine.ts';
import { NodeFolder } from './load/node-folder.ts';
import { createNodeEngine, folderSource, imageInputFromFile } from './node.ts';
import { atDetail, detailImageTokens } from './preprocess/detail.ts';
import { fo1ImageProcessing } from '../model-folder/image.ts';
import { lostDeviceOrt } from './testing/lost-device-ort.ts';
import { tinyModel } from './testing/tiny-model.ts';

interface CocoImage {
  file_name: string;
  objects: { bbox_xyxy: [number, number, number, number] }[];
}

const never = new AbortController().signal;

async function loadedEngine(dir: string, seed = 0, dtype: 'fp32' | 'q4' = 'fp32'): Promise<Engine> {
  const engine = createNodeEngine({ dtype, seed, warmup: false });
  await engine.load({ source: folderSource(dir) }, () => {}, never);
  return engine;
}

/** Resolves with the EngineError `p` rejects with (fails the test if it resolves). */
async function engineError(p: Promise<unknown>): Promise<EngineError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'expected an EngineError').toBeInstanceOf(EngineError);
  return e as EngineError;
}

describe.skipIf(!hasShared)('Fo1Engine on the tiny model (wasm)', () => {
  let model: string;
  let image: ImageInput;
  let boxes: PixelBox[];
  let engine: Engine;
  const ask = (over: Partial<AskOptions> = {}): AskOptions => ({
    imageId: 'coco',
    image,
    boxes,
    regions: [0, 1],
    task: { preset: 'free', text: 'What are these two doing?' },
    generation: { maxNewTokens: 12 },
    ...over,
  });

  beforeAll(async () => {
    model = (await tinyModel()).dir;
    const coco = JSON.parse(readFileSync(sharedAsset('coco-val2017', 'boxes.json'), 'utf8')) as CocoImage[];
    const photo = coco.find((c) => c.objects.length >= 3)!;
    image = await imageInputFromFile(new Uint8Array(readFileSync(sharedAsset('coco-val2017', 'images', photo.file_name))));
    boxes = photo.objects.slice(0, 8).map(({ bbox_xyxy: [x1, y1, x2, y2] }) => ({ x1, y1, x2, y2 }));
    engine = await loadedEngine(model);
  }, 120_000);

  afterAll(() => engine?.dispose());

  it('answers a question about a COCO photo: streamed pieces, parsed answer, timings, backend', async () => {
    const pieces: string[] = [];
    const answer = await engine.ask(ask(), (t) => pieces.push(t), never);
    expect(pieces.length).toBeGreaterThan(0);
    expect(pieces.join('').trim()).toBe(answer.text);
    expect(answer.text.length).toBeGreaterThan(0);
    for (const r of answer.regions) for (const i of r.indices) expect(i).toBeLessThan(boxes.length);
    expect(answer.backend).toBe('wasm');
    const t = answer.timings;
    for (const v of [t.preprocessMs, t.visionMs, t.regionsMs, t.prefillMs, t.ttftMs, t.decodeTokPerS]) expect(v).toBeGreaterThanOrEqual(0);
    expect(t.ttftMs).toBeGreaterThanOrEqual(t.prefillMs);
    expect(answer.stop).toBe('max-tokens'); // 12 tokens of random weights: the limit, not a stop token
    expect(answer.cappedNewTokens).toBeUndefined();
  });

  it('measures a question against the context without running a graph: each added word is counted', async () => {
    const { generation: _, ...question } = ask();
    const short = await engine.measure(question, never);
    // fp32 graphs on wasm run in onnxruntime (a growing cache): the tiny config's max_position_embeddings bounds the context.
    expect(short.contextTokens).toBe(128000);
    expect(short.remaining).toBe(short.contextTokens - short.promptTokens);
    const long = await engine.measure({ ...question, task: { preset: 'free', text: 'What are these two doing? 1 2 3' } }, never);
    expect(long.promptTokens - short.promptTokens).toBe(6); // " 1 2 3": each digit and each space is a token
    expect((await engineError(engine.measure({ ...question, regions: [boxes.length] }, never))).code).toBe('bad-input');
  });

  it('measuring another image keeps the known one and its caches (a measure may run beside a prepare)', async () => {
    await engine.ask(ask(), () => {}, never);
    const { generation: _, ...question } = ask();
    const other = await engine.measure({ ...question, imageId: 'other' }, never);
    expect(other.promptTokens).toBe((await engine.measure(question, never)).promptTokens);
    expect((await engineError(engine.measure({ ...question, imageId: 'unseen', image: undefined }, never))).message).toBe('image "unseen" is not known to the engine: send its pixels with the request');
    const followUp = await engine.ask(ask({ image: undefined, task: { preset: 'detect', label: 'person' } }), () => {}, never);
    expect(followUp.prefixReused).toBe(true);
  });

  it('is deterministic: a fresh engine gives the same greedy answer, and the same sampled answer for a seed', async () => {
    const first = await engine.ask(ask(), () => {}, never);
    const other = await loadedEngine(model);
    try {
      expect((await other.ask(ask(), () => {}, never)).text).toBe(first.text);
    } finally {
      await other.dispose();
    }
    const sampled = ask({ generation: { maxNewTokens: 12, temperature: 1, topP: 0.9 } });
    const a = await loadedEngine(model, 7);
    const b = await loadedEngine(model, 7);
    try {
      expect((await a.ask(sampled, () => {}, never)).text).toBe((await b.ask(sampled, () => {}, never)).text);
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  }, 60_000);

  it('a follow-up on the same image and boxes (no pixels sent) answers as a fresh engine does', async () => {
    await engine.ask(ask(), () => {}, never);
    const followUp = ask({ image: undefined, task: { preset: 'detect', label: 'person' } });
    const reused = await engine.ask(followUp, () => {}, never);
    const fresh = await loadedEngine(model);
    try {
      expect(reused.text).toBe((await fresh.ask({ ...followUp, image }, () => {}, never)).text);
    } finally {
      await fresh.dispose();
    }
  }, 60_000);

  // q4 runs the decoder on the engine's int4 kernels, whose KV views share one store (decode/kv-cache.ts).
  it.each(['fp32', 'q4'] as const)('%s: a prepared photo answers as a fresh engine does, and a new box set on it reuses the image', async (dtype) => {
    const dir = dtype === 'q4' ? (await tinyModel(['q4'])).dir : model;
    const prepared = await loadedEngine(dir, 0, dtype);
    const fresh = await loadedEngine(dir, 0, dtype);
    try {
      const ready = await prepared.prepare({ imageId: 'prep', image, boxes }, never);
      expect(ready.imageReused).toBe(false);
      expect(ready.prefixTokens).toBeGreaterThan(ready.imageTokens + boxes.length); // system text, image slots, a tag and a feature per box
      expect((await prepared.prepare({ imageId: 'prep', boxes }, never)).imageReused).toBe(true);
      const question = ask({ imageId: 'prep', image: undefined });
      const answer = await prepared.ask(question, () => {}, never);
      expect([answer.detail, answer.imageTokens, answer.prefixReused]).toEqual([ready.detail, ready.imageTokens, true]);
      const unprepared = await fresh.ask({ ...question, imageId: 'fresh', image }, () => {}, never);
      expect(unprepared.prefixReused).toBe(false);
      expect(answer.text).toBe(unprepared.text);
      // A box drawn after the photo was prepared: the image's part of the cache stays, the boxes' part is redone.
      const drawn = [...boxes.slice(0, 3), { x1: 5, y1: 5, x2: 60, y2: 80 }];
      expect((await prepared.prepare({ imageId: 'prep', boxes: drawn }, never)).imageReused).toBe(true);
      const redrawn = ask({ imageId: 'prep', image: undefined, boxes: drawn, regions: [3] });
      const other = await loadedEngine(dir, 0, dtype);
      try {
        expect((await prepared.ask(redrawn, () => {}, never)).text).toBe((await other.ask({ ...redrawn, image }, () => {}, never)).text);
      } finally {
        await other.dispose();
      }
      const cancelled = new AbortController();
      cancelled.abort();
      expect(await engineError(prepared.prepare({ imageId: 'prep2', image, boxes }, cancelled.signal))).toMatchObject({ code: 'cancelled', message: 'preparing the photo was cancelled' });
      expect((await engineError(prepared.prepare({ imageId: 'prep', boxes: [{ x1: 0, y1: 0, x2: 1e6, y2: 10 }] }, never))).code).toBe('bad-input');
    } finally {
      await Promise.all([prepared.dispose(), fresh.dispose()]);
    }
  }, 120_000);

  it('cancel mid-answer stops with `cancelled`, and the next answer is the uncancelled one', async () => {
    const options = ask({ task: { preset: 'region-caption-detailed' }, generation: { maxNewTokens: 10 } });
    const expected = (await engine.ask(options, () => {}, never)).text;
    const controller = new AbortController();
    let tokens = 0;
    const err = await engineError(
      engine.ask(options, () => {
        if (++tokens === 3) controller.abort();
      }, controller.signal),
    );
    expect(err.code).toBe('cancelled');
    expect(tokens).toBe(3); // stopped within one decode step
    expect((await engine.ask(options, () => {}, never)).text).toBe(expected);
  }, 60_000);

  it('answers at the detail level asked and reports it with its image tokens; another level re-encodes the kept pixels', async () => {
    // A 1600×1200 photo: above the low and medium caps, under the reference's 2048 long side.
    const [w, h] = [1600, 1200];
    const data = new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 251));
    const big = (over: Partial<AskOptions>) => ask({ imageId: 'big', boxes: [{ x1: 400, y1: 300, x2: 1200, y2: 900 }], regions: [0], task: { preset: 'region-caption-brief' }, generation: { maxNewTokens: 3 }, ...over });
    const fo1 = fo1ImageProcessing('dynamic');
    const byDefault = await engine.ask(big({ image: { kind: 'rgba', width: w, height: h, data } }), () => {}, never);
    expect(byDefault.detail).toBe('low'); // wasm's default
    expect(byDefault.imageTokens).toBe(detailImageTokens(w, h, atDetail(fo1, 'low')));
    const reference = await engine.ask(big({ detail: 'reference' }), () => {}, never); // no pixels sent: the engine kept them
    expect(reference.detail).toBe('reference');
    expect(reference.imageTokens).toBe(detailImageTokens(w, h, atDetail(fo1, 'reference'))); // 1596×1204 / 28² = 2451
    expect(reference.imageTokens).toBeGreaterThan(byDefault.imageTokens);
    // The context budget counts the image at the level asked (measure runs no graph): only the image's tokens differ.
    const { generation: _, ...question } = big({});
    const atDefault = await engine.measure(question, never);
    const atReference = await engine.measure({ ...question, detail: 'reference' }, never);
    expect(atReference.promptTokens - atDefault.promptTokens).toBe(reference.imageTokens - byDefault.imageTokens);
    expect((await engine.measure({ ...question, detail: 'low' }, never)).promptTokens).toBe(atDefault.promptTokens);
    const low = await engine.ask(big({ detail: 'low' }), () => {}, never);
    expect(low.text).toBe(byDefault.text); // back at low: the same encoding as the first time
  }, 120_000);

  it('bad input gives a typed bad-input error naming the problem, and the engine answers afterwards', async () => {
    const photo = readFileSync(sharedAsset('coco-val2017', 'images', JSON.parse(readFileSync(sharedAsset('coco-val2017', 'boxes.json'), 'utf8'))[0].file_name));
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['not an image', () => imageInputFromFile(new TextEncoder().encode('hello, not a picture')), /not an image/],
      ['truncated JPEG', () => imageInputFromFile(new Uint8Array(photo.subarray(0, photo.length >> 1))), /truncated|decoded/],
      ['1×1 pixels', () => engine.ask(ask({ imageId: 'tiny', image: { kind: 'rgba', width: 1, height: 1, data: new Uint8ClampedArray(4) }, boxes: [], regions: [] }), () => {}, never), /1×1/],
      ['30000×30000 pixels', () => engine.ask(ask({ imageId: 'huge', image: { kind: 'rgba', width: 30000, height: 30000, data: new Uint8ClampedArray(4) }, boxes: [], regions: [] }), () => {}, never), /limit/],
      ['box outside', () => engine.ask(ask({ boxes: [{ x1: 5000, y1: 5000, x2: 6000, y2: 6000 }], regions: [0] }), () => {}, never), /outside/],
      ['inverted box', () => engine.ask(ask({ boxes: [{ x1: 100, y1: 100, x2: 50, y2: 200 }], regions: [0] }), () => {}, never), /inverted/],
      ['zero-area box', () => engine.ask(ask({ boxes: [{ x1: 10, y1: 10, x2: 10, y2: 50 }], regions: [0] }), () => {}, never), /is empty/],
      ['101 boxes', () => engine.ask(ask({ boxes: Array.from({ length: 101 }, () => boxes[0]), regions: [0] }), () => {}, never), /at most 100/],
      ['empty question', () => engine.ask(ask({ task: { preset: 'free', text: '   ' } }), () => {}, never), /empty/],
      ['region without a box', () => engine.ask(ask({ task: { preset: 'region-caption-brief' }, regions: [boxes.length] }), () => {}, never), /region/],
      ['unknown image id', () => engine.ask(ask({ imageId: 'never-sent', image: undefined }), () => {}, never), /not known/],
      ['[0, 0, 0, 0] box', () => engine.ask(ask({ boxes: [{ x1: 0, y1: 0, x2: 0, y2: 0 }], regions: [0] }), () => {}, never), /box 0 \[0, 0, 0, 0\] is empty/],
      ['negative temperature', () => engine.ask(ask({ generation: { maxNewTokens: 4, temperature: -1 } }), () => {}, never), /temperature must be a finite number ≥ 0/],
      ['top-p above 1', () => engine.ask(ask({ generation: { maxNewTokens: 4, temperature: 1, topP: 2 } }), () => {}, never), /topP must be in \(0, 1\]/],
      ['an SVG file', () => imageInputFromFile(new TextEncoder().encode('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')), /SVG drawings are not accepted/],
    ];
    const expected = (await engine.ask(ask(), () => {}, never)).text;
    for (const [what, run, message] of cases) {
      const err = await engineError(run());
      expect(err.code, what).not.toBe('internal'); // internal means a bug in this project, never a person's mistake
      expect(err.code, what).toBe('bad-input');
      expect(err.message, what).toMatch(message);
      expect((await engine.ask(ask(), () => {}, never)).text, `answer after "${what}"`).toBe(expected);
    }
  }, 120_000);
});

describe.skipIf(!hasShared)('loading a broken model folder', () => {
  let model: string;
  let broken: string;

  beforeAll(async () => {
    model = (await tinyModel()).dir;
    broken = await mkdtemp(join(tmpdir(), 'fo1-broken-'));
  }, 120_000);

  afterAll(() => rm(broken, { recursive: true, force: true }));

  it('a missing file or a wrong hash is a load-failed error naming the file; the engine then loads the good folder', async () => {
    const engine = createNodeEngine({ dtype: 'fp32', warmup: false });
    try {
      const missing = join(broken, 'missing');
      await cp(model, missing, { recursive: true });
      await rm(join(missing, 'onnx', 'region_encoder.onnx'));
      let err = await engineError(engine.load({ source: folderSource(missing) }, () => {}, never));
      expect(err.code).toBe('load-failed');
      expect(err.message).toContain('onnx/region_encoder.onnx');

      const corrupt = join(broken, 'corrupt');
      await cp(model, corrupt, { recursive: true });
      const data = readFileSync(join(corrupt, 'onnx', 'vision_perception.onnx_data'));
      data[data.length >> 1] ^= 0xff;
      await writeFile(join(corrupt, 'onnx', 'vision_perception.onnx_data'), data);
      err = await engineError(engine.load({ source: folderSource(corrupt) }, () => {}, never));
      expect(err.code).toBe('load-failed');
      expect(err.message).toMatch(/onnx\/vision_perception\.onnx_data: sha256/);

      // A folder from before the region_pyramid graph (model.json version 1): fails on its model.json alone.
      const outdated = join(broken, 'outdated');
      const v1 = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
      v1.version = 1;
      delete v1.components.region_pyramid;
      await mkdir(outdated);
      await writeFile(join(outdated, 'model.json'), JSON.stringify(v1));
      err = await engineError(engine.load({ source: folderSource(outdated) }, () => {}, never));
      expect(err.code).toBe('load-failed');
      expect(err.message).toMatch(/converted by an older converter \(it has no region_pyramid graph\): re-convert it/);

      const noModel = await engineError(engine.ask({ imageId: 'x', boxes: [], regions: [], task: { preset: 'detect-all' }, generation: { maxNewTokens: 1 } }, () => {}, never));
      expect(noModel.code).toBe('no-model');

      const ready = await engine.load({ source: folderSource(model) }, () => {}, never);
      expect(ready.sessions.map((s) => s.session)).toEqual(['vision_semantic', 'vision_perception', 'region_pyramid', 'region_encoder', 'embed_tokens', 'decoder_model_merged']);
      const data8 = new Uint8ClampedArray(64 * 48 * 4).fill(200);
      const answer = await engine.ask({ imageId: 'flat', image: { kind: 'rgba', width: 64, height: 48, data: data8 }, boxes: [{ x1: 4, y1: 4, x2: 40, y2: 30 }], regions: [0], task: { preset: 'region-caption-brief' }, generation: { maxNewTokens: 3 } }, () => {}, never);
      expect(answer.text.length).toBeGreaterThan(0);
    } finally {
      await engine.dispose();
    }
  }, 120_000);
});

describe.skipIf(!hasShared)('the WebGPU device lost mid-answer', () => {
  let model: string;
  let image: ImageInput;
  const boxes: PixelBox[] = [{ x1: 10, y1: 12, x2: 150, y2: 120 }, { x1: 60, y1: 40, x2: 190, y2: 140 }];
  const ask = (over: Partial<AskOptions> = {}): AskOptions => ({ imageId: 'flat', image, boxes, regions: [0, 1], task: { preset: 'region-caption-brief' }, generation: { maxNewTokens: 10 }, ...over });

  beforeAll(async () => {
    model = (await tinyModel()).dir;
    const side = { width: 200, height: 160 };
    image = { kind: 'rgba', ...side, data: Uint8ClampedArray.from({ length: side.width * side.height * 4 }, (_, i) => (i * 37) % 251) };
  }, 120_000);

  it('falls back to wasm, answers the interrupted question as wasm would, and the follow-up works', async () => {
    // The device goes when embed_tokens (on "WebGPU") starts its 4th run: after the prompt, mid-generation.
    const fake = lostDeviceOrt({ input: 'input_ids', run: 4 });
    const engine = new Engine({ ort: fake.ort, openFolder: () => new NodeFolder(model), dtype: 'fp32', warmup: false });
    const wasm = await loadedEngine(model);
    try {
      const ready = await engine.load({ source: folderSource(model), backend: 'webgpu' }, () => {}, never);
      expect(ready.sessions.find((s) => s.session === 'embed_tokens')?.backend).toBe('webgpu');
      let piecesBeforeLoss = 0;
      const changes: BackendChange[] = [];
      const answer = await engine.ask(ask(), () => (fake.lost ? 0 : piecesBeforeLoss++), never, (c) => changes.push(c));
      expect(fake.lost).toBe(true);
      expect(piecesBeforeLoss, 'the device was lost after tokens had streamed').toBeGreaterThan(0);
      expect(answer.backend).toBe('wasm');
      expect(answer.backendFallback).toMatch(/WebGPU device lost.*continuing on wasm/);
      // The page hears of the move once, with the cause and every session now on wasm.
      expect(changes).toHaveLength(1);
      expect(changes[0].cause).toMatch(/^WebGPU device lost \(/);
      expect(answer.backendFallback).toBe(`${changes[0].cause}; continuing on wasm`);
      expect(changes[0].sessions.length).toBe(ready.sessions.length);
      expect(changes[0].sessions.every((s) => s.backend === 'wasm')).toBe(true);
      expect(answer.text).toBe((await wasm.ask(ask(), () => {}, never)).text);

      const followUp = ask({ image: undefined, task: { preset: 'detect', label: 'person' } });
      const next = await engine.ask(followUp, () => {}, never, (c) => changes.push(c));
      expect(next.backend).toBe('wasm');
      expect(next.backendFallback).toBeUndefined();
      expect(changes, 'no second move for the follow-up').toHaveLength(1);
      expect(next.text).toBe((await wasm.ask(followUp, () => {}, never)).text);
      expect(fake.gpuRuns.get('input_ids')).toBe(4); // nothing ran on the lost device after the fallback
    } finally {
      await Promise.all([engine.dispose(), wasm.dispose()]);
    }
  }, 120_000);
});

if (!hasShared) it.skip(NO_SHARED, () => {});
