// One list of proposals from the detector's views of a photo (views.ts): every view's boxes in photo pixels,
// clipped to the photo; a box cut by a view's inner edge (a tile border inside the photo) is most likely a
// truncated object that a neighbouring view sees whole, so its score is scaled down before one class-agnostic
// NMS over all views ranks them. Boxes the user drew come first: they suppress proposals that repeat them and
// take their places in the limit.
import type { PixelBox } from '../../model-folder/boxes.ts';
import { clampBox } from '../preprocess/boxes.ts';
import { nms } from './nms.ts';
import type { View } from './views.ts';
import type { Candidates, Proposal } from './yolox.ts';

/** A view's decoded boxes, already in photo pixels (not clipped), and the view's letterbox ratio. */
export interface ViewCandidates extends Candidates {
  view: View;
  /** Letterbox pixels per photo pixel in this view. */
  ratio: number;
}

export interface MergeSettings {
  /** Class-agnostic NMS over all views drops a box whose IoU with a kept one is above this. */
  nmsIou: number;
  /** Score factor of a box reaching a view's inner edge (1: no change). */
  edgeWeight: number;
  /** How near (detector input pixels) an inner edge a box side must end to count as cut by it. */
  edgeMargin: number;
}

/** True if a side of `b` ends within `margin` photo pixels of an edge of `view` that lies inside the photo. */
export function cutByInnerEdge(b: PixelBox, view: View, width: number, height: number, margin: number): boolean {
  const right = view.x + view.width;
  const bottom = view.y + view.height;
  return (view.x > 0 && b.x1 < view.x + margin) || (right < width && b.x2 > right - margin) || (view.y > 0 && b.y1 < view.y + margin) || (bottom < height && b.y2 > bottom - margin);
}

/**
 * The proposals of all views, best first, at most `limit − drawn.length`, none repeating a drawn box
 * (IoU above `nmsIou`). Scores are the detector's, times `edgeWeight` for boxes cut by an inner edge.
 */
export function mergeViews(views: readonly ViewCandidates[], width: number, height: number, s: MergeSettings, limit: number, drawn: readonly PixelBox[] = []): Proposal[] {
  const boxes: PixelBox[] = [];
  const scores: number[] = [];
  for (const { view, ratio, boxes: found, scores: score } of views)
    found.forEach((b, i) => {
      const c = clampBox(b, { width, height });
      if (!(c.x2 > c.x1 && c.y2 > c.y1)) return; // wholly outside the photo: nothing to ask about
      boxes.push(c);
      scores.push(cutByInnerEdge(b, view, width, height, s.edgeMargin / ratio) ? score[i] * s.edgeWeight : score[i]);
    });
  return nms(boxes, scores, s.nmsIou, Math.max(0, limit - drawn.length), drawn).map((i) => ({ box: boxes[i], score: scores[i] }));
}
