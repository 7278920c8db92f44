// Greedy non-maximum suppression as torchvision.ops.nms: highest score first, drop every later box
// whose IoU with a kept box is above the threshold.
import type { PixelBox } from '../../model-folder/boxes.ts';

export function iou(a: PixelBox, b: PixelBox): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/**
 * Indices of the kept boxes, by descending score, at most `limit`. `prior` boxes count as kept before any
 * of `boxes` (they suppress, and are not returned): boxes the user drew stay, and no proposal repeats them.
 */
export function nms(boxes: readonly PixelBox[], scores: ArrayLike<number>, iouThreshold: number, limit = Infinity, prior: readonly PixelBox[] = []): number[] {
  const order = boxes.map((_, i) => i).sort((i, j) => scores[j] - scores[i] || i - j);
  const kept: number[] = [];
  const keptBoxes = [...prior];
  for (const i of order) {
    if (kept.length >= limit) break;
    if (keptBoxes.every((k) => iou(k, boxes[i]) <= iouThreshold)) {
      kept.push(i);
      keptBoxes.push(boxes[i]);
    }
  }
  return kept;
}
