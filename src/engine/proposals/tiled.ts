// The engine's box proposer: the detector (any YOLOX-kind manifest) run on a few views of the photo
// (views.ts: overlapping tiles, plus the whole photo when the budget has room), each view letterboxed as the
// detector expects, the boxes merged by one class-agnostic NMS (merge.ts) with the user's drawn boxes first.
// The single-view YoloxProposer stays the reference pipeline (its output matches the reference proposals).
import type { RgbImage } from '../image/rgb-image.ts';
import type { PixelBox } from '../../model-folder/boxes.ts';
import type { DetectorManifest } from './detector-manifest.ts';
import { letterbox } from './letterbox.ts';
import { mergeViews, type MergeSettings, type ViewCandidates } from './merge.ts';
import { cropView, planViews, type View } from './views.ts';
import { decodeYolox, YoloxProposer, type Float32TensorFactory, type Proposal, type SessionLike, type TensorLike } from './yolox.ts';

/**
 * How the tiled proposer selects boxes. Its scoreThreshold and nmsIou replace the manifest's, which stay the
 * single-view reference settings; the manifest still gives the detector's I/O and maxDetections.
 */
export interface TiledSettings extends MergeSettings {
  /**
   * Candidates kept per view before the NMS: score above this. Lower than the manifest's single-view
   * threshold: with the 100-box limit filled from several views, weak boxes of small objects earn places.
   */
  scoreThreshold: number;
  /** Detector runs per photo up to `largePixels` pixels, and above it (phone photos). */
  views: number;
  largeViews: number;
  largePixels: number;
}

/**
 * Measured on the 16 COCO photos (`npm run bench -- proposals`): two tiles, threshold 0.001 and NMS IoU 0.5
 * found 148 of 194 objects in the top 100 where the reference pipeline (one view, 0.01, 0.65) found 126.
 * Two views cost about twice one (the network dominates; letterbox, decode and NMS are a few ms). A phone
 * photo (12 MP) gets 7: a 3×2 grid (each tile 0.2 of the photo's scale instead of 0.1) and the whole photo.
 */
export const TILED_DEFAULTS: TiledSettings = {
  scoreThreshold: 0.001,
  nmsIou: 0.5,
  edgeWeight: 0.5,
  edgeMargin: 4,
  views: 2,
  largeViews: 7,
  largePixels: 4_000_000,
};

export class TiledProposer<T extends TensorLike> {
  private readonly detector: YoloxProposer<T>;

  constructor(
    session: SessionLike<T>,
    readonly manifest: DetectorManifest,
    tensor: Float32TensorFactory<T>,
    readonly settings: TiledSettings = TILED_DEFAULTS,
  ) {
    this.detector = new YoloxProposer(session, manifest, tensor);
  }

  /** The views the detector runs on for a width × height photo. */
  views(width: number, height: number): View[] {
    const s = this.settings;
    return planViews(width, height, this.manifest.inputSize, width * height > s.largePixels ? s.largeViews : s.views);
  }

  /** Proposals for a photo, best first, in its pixels, at most manifest.maxDetections with `drawn` counted. */
  async propose(img: RgbImage, drawn: readonly PixelBox[] = []): Promise<Proposal[]> {
    const s = this.settings;
    const found: ViewCandidates[] = [];
    for (const view of this.views(img.width, img.height)) {
      const { image, ratio } = letterbox(cropView(img, view), this.manifest.inputSize);
      const c = decodeYolox(await this.detector.runLetterboxed(image), { ...this.manifest, scoreThreshold: s.scoreThreshold }, ratio);
      const boxes = c.boxes.map((b) => ({ x1: b.x1 + view.x, y1: b.y1 + view.y, x2: b.x2 + view.x, y2: b.y2 + view.y }));
      found.push({ view, ratio, boxes, scores: c.scores });
    }
    return mergeViews(found, img.width, img.height, s, this.manifest.maxDetections, drawn);
  }
}
