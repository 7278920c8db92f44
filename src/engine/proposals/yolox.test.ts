import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../../testing/close.ts';
import { readNpy } from '../../testing/npy.ts';
import { ort } from '../../testing/ort.ts';
import { hasShared, NO_SHARED, sharedAsset } from '../../testing/shared.ts';
import { decodeImage } from '../image/decode-node.ts';
import { YOLOX_NANO } from './detector-manifest.ts';
import { letterbox } from './letterbox.ts';
import { iou } from './nms.ts';
import { selectProposals, YoloxProposer } from './yolox.ts';

const dir = (...p: string[]) => sharedAsset('detector', 'yolox-nano', ...p);
const coco = (name: string) => sharedAsset('coco-val2017', 'images', name);

interface ReferenceEntry {
  boxes_xyxy: [number, number, number, number][];
  scores: number[];
}

describe.skipIf(!hasShared)(hasShared ? 'YOLOX-nano proposals (real detector)' : NO_SHARED, () => {
  let session: ort.InferenceSession;
  let proposer: YoloxProposer<ort.Tensor>;

  beforeAll(async () => {
    session = await ort.InferenceSession.create(readFileSync(dir(YOLOX_NANO.file)), { executionProviders: ['wasm'] });
    proposer = new YoloxProposer(session, YOLOX_NANO, (data, dims) => new ort.Tensor('float32', data, dims));
  });
  afterAll(async () => {
    await session?.release();
  });

  it('letterboxes the COCO photo into exactly the golden PNG', async () => {
    const golden = await decodeImage(readFileSync(dir('golden', '000000555009_letterbox416_rgb.png')));
    const { image, ratio } = letterbox(await decodeImage(readFileSync(coco('000000555009.jpg'))), 416);
    expect(ratio).toBeCloseTo(0.832, 12);
    let maxDiff = 0;
    for (let i = 0; i < golden.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(golden.data[i] - image.data[i]));
    console.log(`letterbox vs golden PNG: max |diff| ${maxDiff} (uint8 levels)`);
    expect(maxDiff).toBe(0);
  });

  it('gives the golden raw output (1×3549×85) on the golden letterboxed input', async () => {
    const golden = readNpy(readFileSync(dir('golden', '000000555009_output_1x3549x85.npy')));
    expect(golden.shape).toEqual([1, 3549, 85]);
    const raw = await proposer.runLetterboxed(await decodeImage(readFileSync(dir('golden', '000000555009_letterbox416_rgb.png'))));
    let maxAbs = 0;
    for (let i = 0; i < raw.length; i++) maxAbs = Math.max(maxAbs, Math.abs(raw[i] - (golden.data[i] as number)));
    console.log(`YOLOX raw output vs golden: max |diff| ${maxAbs.toExponential(3)}`);
    expectClose(raw, golden.data as Float32Array, 1e-4, 'YOLOX output');
  });

  it('reproduces the reference proposals for the COCO photos (IoU ≥ 0.9 for matched boxes)', async () => {
    const reference: Record<string, ReferenceEntry> = JSON.parse(readFileSync(dir('reference_proposals_coco_subset.json'), 'utf8'));
    let total = 0;
    let matched = 0;
    let worstIou = 1;
    let maxScoreDiff = 0;
    for (const [name, ref] of Object.entries(reference)) {
      const got = await proposer.propose(await decodeImage(readFileSync(coco(name))));
      expect(got.length, `${name}: proposal count`).toBe(ref.boxes_xyxy.length);
      ref.boxes_xyxy.forEach(([x1, y1, x2, y2], i) => {
        total++;
        const o = got[i] ? iou(got[i].box, { x1, y1, x2, y2 }) : 0;
        if (o >= 0.9) matched++;
        worstIou = Math.min(worstIou, o);
        if (got[i]) maxScoreDiff = Math.max(maxScoreDiff, Math.abs(got[i].score - ref.scores[i]));
      });
    }
    console.log(`proposals: ${matched}/${total} reference boxes matched in rank order with IoU ≥ 0.9 (worst IoU ${worstIou.toFixed(5)}, max score diff ${maxScoreDiff.toExponential(2)})`);
    expect(matched).toBe(total);
  });
});

describe('selectProposals', () => {
  it('clips to the image and drops boxes left with no width or height (they lay in the letterbox padding)', () => {
    const candidates = {
      boxes: [
        { x1: 10, y1: 10, x2: 100, y2: 90 }, // inside
        { x1: 40, y1: 500, x2: 120, y2: 530 }, // below a 640×480 photo: clips to [40, 480, 120, 480]
        { x1: -30, y1: 20, x2: -5, y2: 60 }, // left of it: clips to [0, 20, 0, 60]
        { x1: 600, y1: 400, x2: 700, y2: 520 }, // partly outside: kept, clipped
      ],
      scores: [0.9, 0.8, 0.7, 0.6],
    };
    expect(selectProposals(candidates, YOLOX_NANO, 640, 480)).toEqual([
      { box: { x1: 10, y1: 10, x2: 100, y2: 90 }, score: 0.9 },
      { box: { x1: 600, y1: 400, x2: 640, y2: 480 }, score: 0.6 },
    ]);
  });
});
