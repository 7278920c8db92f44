// How much of a photo the automatic boxes find. The reference pipeline (YoloxProposer: one
// letterboxed view, the manifest's threshold and NMS) and the engine's tiled proposer (src/engine/proposals/
// tiled.ts) on the same detector session, side by side in one process: recall@0.5 of the top 100 against the
// COCO ground truth of the 16 photos in ../shared (crowd regions left out, as COCO's own recall does), and the
// time per photo, the two proposers alternating photo by photo so a drifting machine load hits both alike.
// Then a 4032×3024 phone-size photo (bench/phone-photo.ts: a COCO photo upscaled), its truth scaled alike.

import { readFile } from 'node:fs/promises';
import { decodeImage } from '../src/engine/image/decode-node.ts';
import type { RgbImage } from '../src/engine/image/rgb-image.ts';
import type { PixelBox } from '../src/model-folder/boxes.ts';
import { YOLOX_NANO } from '../src/engine/proposals/detector-manifest.ts';
import { iou } from '../src/engine/proposals/nms.ts';
import { TiledProposer, type TiledSettings } from '../src/engine/proposals/tiled.ts';
import { YoloxProposer, type Proposal } from '../src/engine/proposals/yolox.ts';
import { hasShared, sharedAsset } from '../src/testing/shared.ts';
import { PHONE_SIZE, PHONE_SOURCE, phonePhotoJpeg } from './phone-photo.ts';
import type { Runtime } from './runtime.ts';
import { summarize, type Summary } from './stats.ts';

export interface ProposalsArgs {
  rounds: number;
  /** Rounds on the 4032×3024 photo (0: skip it). */
  largeRounds: number;
}

/** IoU at which a proposal finds an object, and how many proposals count (issue 12). */
export const RECALL_IOU = 0.5;
export const RECALL_TOP = 100;

/** One proposer on a photo set. */
export interface ProposerFigure {
  proposer: string;
  /** Detector runs per photo (views), over the set. */
  views: number[];
  matched: number;
  objects: number;
  recall: number;
  /** Wall time of propose() per photo (decoded RGB in, proposals out): a round's total ÷ photos. */
  msPerPhoto: Summary;
}

export interface PhotoSetRun {
  photos: string;
  current: ProposerFigure;
  tiled: ProposerFigure;
  /** Per round, the tiled proposer's total time ÷ the current one's on the same photos, interleaved. */
  timeRatio: Summary;
}

export interface ProposalsRun {
  version: string;
  threads: number;
  detector: string;
  coco: PhotoSetRun;
  large?: PhotoSetRun;
  settings: TiledSettings;
}

interface Photo {
  name: string;
  image: RgbImage;
  truth: PixelBox[];
}

interface CocoEntry {
  file_name: string;
  width: number;
  objects: { bbox_xyxy: [number, number, number, number]; iscrowd: number }[];
}

/** Objects found: ground-truth boxes with IoU ≥ RECALL_IOU against one of a photo's first RECALL_TOP proposals. */
export function countFound(truth: readonly PixelBox[], proposals: readonly PixelBox[]): number {
  const top = proposals.slice(0, RECALL_TOP);
  return truth.filter((t) => top.some((p) => iou(p, t) >= RECALL_IOU)).length;
}

const toBox = ([x1, y1, x2, y2]: readonly number[]): PixelBox => ({ x1, y1, x2, y2 });

interface Side {
  name: string;
  views: (img: RgbImage) => number;
  propose: (img: RgbImage) => Promise<Proposal[]>;
}

async function measureSet(label: string, photos: readonly Photo[], sides: readonly [Side, Side], rounds: number, log: (m: string) => void): Promise<PhotoSetRun> {
  const found = [0, 0];
  for (const [k, s] of sides.entries()) // also each side's warm-up
    for (const p of photos) found[k] += countFound(p.truth, (await s.propose(p.image)).map((q) => q.box));
  // Each photo goes through both proposers back to back, the order flipping photo by photo, so the two sides
  // of a round see the same load; the time ratio is taken per round, then its median.
  const ms: number[][] = [[], []];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const total = [0, 0];
    for (const [i, p] of photos.entries())
      for (const k of (r + i) % 2 ? [1, 0] : [0, 1]) {
        const t = performance.now();
        await sides[k].propose(p.image);
        total[k] += performance.now() - t;
      }
    total.forEach((t, k) => ms[k].push(t / photos.length));
    ratios.push(total[1] / total[0]);
  }
  const objects = photos.reduce((n, p) => n + p.truth.length, 0);
  const figure = (k: number): ProposerFigure => ({
    proposer: sides[k].name,
    views: photos.map((p) => sides[k].views(p.image)),
    matched: found[k],
    objects,
    recall: Math.round((found[k] / objects) * 1e4) / 1e4,
    msPerPhoto: summarize(ms[k]),
  });
  const [current, tiled] = [figure(0), figure(1)];
  log(`${label}: recall ${current.recall} → ${tiled.recall}, ms/photo ${current.msPerPhoto.median} → ${tiled.msPerPhoto.median}, time ratio ${summarize(ratios).median}`);
  return { photos: label, current, tiled, timeRatio: summarize(ratios) };
}

export async function measureProposals(rt: Runtime, args: ProposalsArgs, log: (m: string) => void): Promise<ProposalsRun> {
  if (!hasShared) throw new Error('the proposals bench needs ../shared (YOLOX-nano and the COCO photos)');
  const session = await rt.load(sharedAsset('detector', 'yolox-nano', YOLOX_NANO.file));
  const tensor = (d: Float32Array, dims: readonly number[]) => rt.tensor('float32', d, dims);
  const current = new YoloxProposer(session, YOLOX_NANO, tensor);
  const tiled = new TiledProposer(session, YOLOX_NANO, tensor);
  const sides: [Side, Side] = [
    { name: 'YOLOX-nano, one letterboxed view (reference settings)', views: () => 1, propose: (img) => current.propose(img) },
    { name: 'YOLOX-nano, tiled views (src/engine/proposals/tiled.ts)', views: (img) => tiled.views(img.width, img.height).length, propose: (img) => tiled.propose(img) },
  ];
  const entries = JSON.parse(await readFile(sharedAsset('coco-val2017', 'boxes.json'), 'utf8')) as CocoEntry[];
  const truthOf = (e: CocoEntry, scale = 1) => e.objects.filter((o) => !o.iscrowd).map((o) => toBox(o.bbox_xyxy.map((v) => v * scale)));
  const photos: Photo[] = await Promise.all(entries.map(async (e) => ({
    name: e.file_name,
    image: await decodeImage(await readFile(sharedAsset('coco-val2017', 'images', e.file_name))),
    truth: truthOf(e),
  })));
  const coco = await measureSet(`${photos.length} COCO val2017 photos (../shared)`, photos, sides, args.rounds, log);
  let large: PhotoSetRun | undefined;
  if (args.largeRounds > 0) {
    const source = entries.find((e) => e.file_name === PHONE_SOURCE)!;
    const image = await decodeImage(await phonePhotoJpeg());
    const photo = { name: `${PHONE_SOURCE} upscaled`, image, truth: truthOf(source, PHONE_SIZE.width / source.width) };
    large = await measureSet(`${PHONE_SOURCE} upscaled to ${PHONE_SIZE.width}×${PHONE_SIZE.height}`, [photo], sides, args.largeRounds, log);
  }
  await session.release();
  return { version: rt.version, threads: rt.spec.threads, detector: `${YOLOX_NANO.file} (${YOLOX_NANO.inputSize}²)`, coco, large, settings: tiled.settings };
}
