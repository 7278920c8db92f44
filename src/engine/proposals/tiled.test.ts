import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ort } from '../../testing/ort.ts';
import { hasShared, NO_SHARED, sharedAsset } from '../../testing/shared.ts';
import { decodeImage } from '../image/decode-node.ts';
import { rgbImage, type RgbImage } from '../image/rgb-image.ts';
import type { PixelBox } from '../../model-folder/boxes.ts';
import { parseDetectorManifest, YOLOX_NANO } from './detector-manifest.ts';
import { iou } from './nms.ts';
import { TiledProposer } from './tiled.ts';
import { YoloxProposer, type SessionLike, type TensorLike } from './yolox.ts';

/** Another detector with its own manifest: a 64² input, one class, other tensor names. */
const TOY = parseDetectorManifest({ kind: 'yolox', file: 'toy.onnx', inputName: 'pixels', outputName: 'rows', inputSize: 64, strides: [8, 16, 32], numClasses: 1, scoreThreshold: 0.2, nmsIou: 0.6, maxDetections: 10 });

interface Toy extends TensorLike {
  data: Float32Array;
}

/**
 * A stand-in network that "detects" the white pixels of its letterboxed input (B, G, R planes all > 200)
 * as one box, written as the YOLOX row of stride 8 at grid cell (0, 0): cx = tx·8, w = exp(tw)·8.
 */
const whiteFinder: SessionLike<Toy> = {
  async run(feeds) {
    const input = feeds[TOY.inputName].data;
    const S = TOY.inputSize;
    const rows = 64 + 16 + 4;
    const out = new Float32Array(rows * 6);
    let [x1, y1, x2, y2] = [S, S, -1, -1];
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const i = y * S + x;
        if (input[i] > 200 && input[S * S + i] > 200 && input[2 * S * S + i] > 200) [x1, y1, x2, y2] = [Math.min(x1, x), Math.min(y1, y), Math.max(x2, x + 1), Math.max(y2, y + 1)];
      }
    if (x2 > x1) out.set([(x1 + x2) / 16, (y1 + y2) / 16, Math.log((x2 - x1) / 8), Math.log((y2 - y1) / 8), 0.9, 0.9], 0);
    return { [TOY.outputName]: { data: out, dims: [1, rows, 6] } };
  },
};

/** A black width × height photo with white rectangles. */
function photo(width: number, height: number, rects: PixelBox[]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (const r of rects) for (let y = r.y1; y < r.y2; y++) data.fill(255, (y * width + r.x1) * 3, (y * width + r.x2) * 3);
  return rgbImage(width, height, data);
}

const toy = () => new TiledProposer(whiteFinder, TOY, (data, dims) => ({ data, dims }));

describe('TiledProposer (a stand-in detector with its own manifest)', () => {
  it('maps each tile\'s box back into the photo\'s pixels', async () => {
    // 200×100: two tiles x 0–140 and 60–200 at scale 0.64; one rectangle inside each tile only
    const rects = [{ x1: 10, y1: 20, x2: 40, y2: 70 }, { x1: 160, y1: 30, x2: 190, y2: 60 }];
    const got = await toy().propose(photo(200, 100, rects));
    expect(got).toHaveLength(2);
    for (const r of rects) expect(Math.max(...got.map((p) => iou(p.box, r))), JSON.stringify(r)).toBeGreaterThan(0.8);
  });

  it('keeps the view that sees an object whole over the tile that cuts it', async () => {
    // x 100–150 lies whole in the right tile (60–200) and is cut at x 140 by the left one (0–140); both
    // views score it alike, and the left view comes first, so only the edge weight puts the whole box first
    const rect = { x1: 100, y1: 20, x2: 150, y2: 60 };
    const got = await toy().propose(photo(200, 100, [rect]));
    expect(got).toHaveLength(1); // the cut box overlaps it by IoU 0.8: one object, one proposal
    expect(iou(got[0].box, rect)).toBeGreaterThan(0.9);
    expect(got[0].score).toBeCloseTo(0.81, 6);
  });

  it('keeps a drawn box\'s place: no proposal repeats it, and it counts in the manifest\'s limit', async () => {
    const rect = { x1: 10, y1: 20, x2: 40, y2: 70 };
    expect(await toy().propose(photo(200, 100, [rect]), [rect])).toEqual([]);
    const drawn = Array.from({ length: TOY.maxDetections }, (_, i) => ({ x1: 100 + i, y1: 0, x2: 101 + i, y2: 1 }));
    expect(await toy().propose(photo(200, 100, [rect]), drawn)).toEqual([]);
  });
});

interface CocoEntry {
  file_name: string;
  objects: { bbox_xyxy: [number, number, number, number]; iscrowd: number }[];
}

describe.skipIf(!hasShared)(hasShared ? 'TiledProposer on YOLOX-nano and the COCO photos' : NO_SHARED, () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(readFileSync(sharedAsset('detector', 'yolox-nano', YOLOX_NANO.file)), { executionProviders: ['wasm'] });
  });
  afterAll(async () => {
    await session?.release();
  });

  it('finds more of the annotated objects in the top 100 than the single-view reference pipeline', async () => {
    const tensor = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, dims);
    const [reference, tiled] = [new YoloxProposer(session, YOLOX_NANO, tensor), new TiledProposer(session, YOLOX_NANO, tensor)];
    const entries = JSON.parse(readFileSync(sharedAsset('coco-val2017', 'boxes.json'), 'utf8')) as CocoEntry[];
    let objects = 0;
    const found = { reference: 0, tiled: 0 };
    for (const e of entries) {
      const img = await decodeImage(readFileSync(sharedAsset('coco-val2017', 'images', e.file_name)));
      const truth = e.objects.filter((o) => !o.iscrowd).map(({ bbox_xyxy: [x1, y1, x2, y2] }) => ({ x1, y1, x2, y2 }));
      objects += truth.length;
      for (const [k, p] of [['reference', reference], ['tiled', tiled]] as const) {
        const boxes = (await p.propose(img)).map((q) => q.box);
        expect(boxes.length).toBeLessThanOrEqual(YOLOX_NANO.maxDetections);
        found[k] += truth.filter((t) => boxes.some((b) => iou(b, t) >= 0.5)).length;
      }
    }
    console.log(`recall@0.5@100 on ${entries.length} COCO photos: reference ${found.reference}/${objects}, tiled ${found.tiled}/${objects}`);
    expect(found.tiled).toBeGreaterThan(found.reference);
    expect(found.tiled / objects).toBeGreaterThanOrEqual(0.7); // issue 12's goal
  });
});
