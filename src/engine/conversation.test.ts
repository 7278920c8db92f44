// Equality of paths on the tiny model (Node, wasm): what reaches the decoder is what the float32 reference
// (reference/*.ts, straight from the PyTorch) computes from the same photo and boxes, and a follow-up that
// reuses the prefix KV cache yields the logits of a one-shot prefill of the whole prompt.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint } from '../../converter/read/checkpoint.ts';
import { regionEncoder } from '../../reference/region-encoder.ts';
import { tensor } from '../../reference/tensor.ts';
import { visionPerception } from '../../reference/vision-perception.ts';
import { visionSemanticReference } from '../../reference/vision-semantic.ts';
import { expectClose } from '../testing/close.ts';
import { ort } from '../testing/ort.ts';
import { hasShared, NO_SHARED, sharedAsset } from '../testing/shared.ts';
import { Conversation, ImagePrefix } from './conversation.ts';
import { decodeImage } from './image/decode-node.ts';
import { NodeFolder } from './load/node-folder.ts';
import { loadModelFiles } from './load/load-model.ts';
import { Fo1Model, type ImageFeatures } from './model.ts';
import type { BoxFrames } from './preprocess/boxes.ts';
import { prepareBoxes, prepareImage, type PreparedImage } from './preprocess/prepare.ts';
import { atDetail } from './preprocess/detail.ts';
import { ropeIndex } from './prompt/mrope.ts';
import { buildPromptSequence } from './prompt/sequence.ts';
import { Fo1Tokenizer } from './prompt/tokenizer.ts';
import { taskFromText } from './prompt/tasks.ts';
import { tinyModel } from './testing/tiny-model.ts';

const never = new AbortController().signal;

describe.skipIf(!hasShared)('the decoder sees the reference path (tiny model)', () => {
  let model: Fo1Model;
  let tokenizer: Fo1Tokenizer;
  let ck: Checkpoint;
  let prepared: PreparedImage;
  let frames: BoxFrames;
  let features: ImageFeatures;
  let regionEmbeds: Float32Array;

  beforeAll(async () => {
    const tiny = await tinyModel();
    const files = await loadModelFiles(new NodeFolder(tiny.dir), 'fp32', () => {}, never);
    tokenizer = Fo1Tokenizer.fromJson(files.tokenizerJson, files.tokenizerConfig);
    model = await Fo1Model.create(ort, files.manifest, files.graphs, { backend: 'wasm', reason: 'test' }, () => {});
    ck = await Checkpoint.open(tiny.checkpoint);
    type Coco = { file_name: string; objects: { bbox_xyxy: number[] }[] };
    const photo = (JSON.parse(readFileSync(sharedAsset('coco-val2017', 'boxes.json'), 'utf8')) as Coco[])[1];
    const image = await decodeImage(new Uint8Array(readFileSync(sharedAsset('coco-val2017', 'images', photo.file_name))));
    const boxes = photo.objects.slice(0, 5).map(({ bbox_xyxy: [x1, y1, x2, y2] }) => ({ x1, y1, x2, y2 }));
    prepared = prepareImage(image, atDetail(files.manifest.image, 'reference'));
    frames = prepareBoxes(prepared, boxes);
    features = await model.encodeImage(prepared);
    regionEmbeds = await model.encodeRegions(features, frames);
  }, 120_000);

  afterAll(async () => {
    await model?.release();
    await ck?.close();
  });

  it('region embeddings equal the reference ViT → DaViT → HFRE → projector on the same pixels and boxes', async () => {
    const cfg = model.manifest.config;
    const [, gh, gw] = prepared.qwen.gridThw;
    const sem = await visionSemanticReference(ck, { vision: cfg.vision, projectorType: cfg.region.projectorType }, tensor(prepared.qwen.pixelValues, [gh * gw, prepared.qwen.pixelValues.length / (gh * gw)]), [1, gh, gw]);
    expectClose(features.imageEmbeds, sem.imageEmbeds.data, 1e-4, 'image embeddings');
    const stages = await visionPerception(ck, cfg.davit, tensor(prepared.davit.pixelValues, [1, 3, prepared.davit.height, prepared.davit.width]));
    const box = (bs: readonly { x1: number; y1: number; x2: number; y2: number }[]) => tensor(bs.flatMap((b) => [b.x1, b.y1, b.x2, b.y2]), [bs.length, 4]);
    const ref = await regionEncoder(ck, cfg.region, cfg.vision.patchSize, { vtMap: sem.levels.at(-1)!, davitStages: stages, auxBoxes: box(frames.aux), vtBoxes: box(frames.vt) });
    expectClose(regionEmbeds, ref.embeds.data, 1e-4, 'region embeddings');
  }, 60_000);

  it('inputs_embeds holds the image embeddings in the image slots and box k’s embedding in region slot k', async () => {
    const H = model.manifest.config.text.hiddenSize;
    const conv = new Conversation(model, new ImagePrefix(model, { embeds: features.imageEmbeds, grid: features.grid }), regionEmbeds);
    const K = frames.vt.length;
    const seq = buildPromptSequence(tokenizer, { imageTokens: features.imageEmbeds.length / H, boxCount: K, task: taskFromText('detect', 'person') }, { imageToken: model.manifest.tokens.imagePad });
    const embeds = await conv.embeddings(seq, 0, seq.ids.length); // (S, H)
    const row = (i: number) => Array.from(embeds.subarray(i * H, (i + 1) * H));
    for (let k = 0; k < K; k++) expect(row(seq.regionPositions[k])).toEqual(Array.from(regionEmbeds.subarray(k * H, (k + 1) * H)));
    for (const n of [0, seq.imageTokens - 1]) expect(row(seq.imageStart + n)).toEqual(Array.from(features.imageEmbeds.subarray(n * H, (n + 1) * H)));
    const textAt = seq.taskStart; // a text position: its token's embed_tokens row
    expect(row(textAt)).toEqual(Array.from(await model.embedText([seq.ids[textAt]])));
  });

  it('a follow-up reusing the prefix KV cache gives the logits of a fresh one-shot prefill', async () => {
    const H = model.manifest.config.text.hiddenSize;
    const K = frames.vt.length;
    const seqOf = (kind: string, text: string) => buildPromptSequence(tokenizer, { imageTokens: features.imageEmbeds.length / H, boxCount: K, task: taskFromText(kind, text, [1]) }, { imageToken: model.manifest.tokens.imagePad });
    const conv = new Conversation(model, new ImagePrefix(model, { embeds: features.imageEmbeds, grid: features.grid }), regionEmbeds);
    const first = await conv.prefill(seqOf('free', 'What is this?'));
    expect(first.reused).toBe(false);
    first.first.cache.dispose();
    const second = seqOf('region-caption-brief', '');
    const followUp = await conv.prefill(second);
    expect(followUp.reused).toBe(true);

    const { positions } = ropeIndex(second.ids, model.manifest.tokens.imagePad, [{ t: 1, h: features.grid[0], w: features.grid[1] }], model.manifest.config.vision.spatialMergeSize);
    const oneShot = await model.decode(await conv.embeddings(second, 0, second.ids.length), positions, model.emptyCache());
    expect(followUp.first.cache.length).toBe(second.ids.length);
    expectClose(followUp.first.logits, oneShot.logits, 1e-4, 'follow-up vs one-shot logits');
    followUp.first.cache.dispose();
    oneShot.cache.dispose();
    conv.dispose();
  });

  it('a new box set reuses the image part of the cache and gives the logits of a one-shot prefill, also with no boxes', async () => {
    const H = model.manifest.config.text.hiddenSize;
    const image = new ImagePrefix(model, { embeds: features.imageEmbeds, grid: features.grid });
    const seqFor = (K: number) => buildPromptSequence(tokenizer, { imageTokens: features.imageEmbeds.length / H, boxCount: K, task: taskFromText('free', 'What is this?') }, { imageToken: model.manifest.tokens.imagePad });
    const first = new Conversation(model, image, regionEmbeds);
    expect(await first.preparePrefix(seqFor(frames.vt.length))).toEqual({ reused: false, imageReused: false, tokens: seqFor(frames.vt.length).taskStart });
    expect((await first.preparePrefix(seqFor(frames.vt.length))).reused).toBe(true);
    first.dispose();
    for (const K of [2, 0]) {
      const conv = new Conversation(model, image, regionEmbeds.slice(0, K * H));
      const seq = seqFor(K);
      expect(await conv.preparePrefix(seq)).toEqual({ reused: false, imageReused: true, tokens: seq.taskStart });
      const asked = await conv.prefill(seq);
      expect(asked.reused).toBe(true);
      const { positions } = ropeIndex(seq.ids, model.manifest.tokens.imagePad, [{ t: 1, h: features.grid[0], w: features.grid[1] }], model.manifest.config.vision.spatialMergeSize);
      const oneShot = await model.decode(await conv.embeddings(seq, 0, seq.ids.length), positions, model.emptyCache());
      expectClose(asked.first.logits, oneShot.logits, 1e-4, `${K} boxes on the image's cached part vs one-shot logits`);
      asked.first.cache.dispose();
      oneShot.cache.dispose();
      conv.dispose();
    }
    image.dispose();
  });
});

if (!hasShared) it.skip(NO_SHARED, () => {});
