// Image-detail levels: how many pixels every encoder sees. `reference` is the authors' pipeline exactly, as
// model.json's image section gives it (work image long side ≤ 2048, Qwen max_pixels 2048²: a 4032×3024 photo
// is 2044×1540, 4,015 image tokens). A lower level caps those bounds further: the *work image* at its pixel
// budget before anything else, so the Qwen ViT, DaViT (which derives its size from the work image,
// davit-input.ts) and the box frames (boxes.ts: original → work → DaViT / Qwen) all follow the one smaller
// image, and boxes still land where they were drawn. One image token is a merge² block of patches: (14·2)² =
// 784 pixels in Qwen2.5-VL.
import type { Backend, DetailLevel } from '../api.ts';
import type { ImageProcessing } from '../../model-folder/image.ts';
import { davitSize } from './davit-input.ts';
import { smartResize } from './smart-resize.ts';
import { workSize, type WorkBounds } from './work-image.ts';

/** Each level's image-token cap; null: the reference pipeline, capped only by model.json's bounds. */
export const DETAIL_TOKEN_CAP: Readonly<Record<DetailLevel, number | null>> = { reference: null, medium: 1280, low: 512 };

/**
 * The level an ask without one gets (README "Image detail"): on wasm `low`, which keeps a phone photo's vision
 * cost near a 640×480 photo's (the full model's first answer there is ~71 s at 391 tokens); on WebGPU `medium`.
 */
export function defaultDetail(backend: Backend): DetailLevel {
  return backend === 'wasm' ? 'low' : 'medium';
}

/** model.json's image section at one level: the work image's pixel budget added, Qwen's max_pixels lowered to it. */
export interface DetailProcessing extends ImageProcessing, Required<WorkBounds> {
  level: DetailLevel;
}

/**
 * The preprocessing at `level`: the level's pixel budget (its token cap × pixels per token; Infinity for
 * reference) caps the work image, and Qwen's max_pixels becomes min(model.json's, the budget), since
 * smart_resize rounds the work image's sides to multiples of 28 and the rounding alone can pass the cap.
 */
export function atDetail(image: ImageProcessing, level: DetailLevel): DetailProcessing {
  const cap = DETAIL_TOKEN_CAP[level];
  const { patchSize, mergeSize, maxPixels } = image.semantic;
  const budget = cap === null ? Infinity : cap * (patchSize * mergeSize) ** 2;
  return { ...image, level, maxWorkPixels: budget, semantic: { ...image.semantic, maxPixels: Math.min(maxPixels, budget) } };
}

/** The encoders' input shapes for an original W×H, known before any pixel is resized. */
export interface DetailShapes {
  work: [number, number]; // [width, height]
  qwenGrid: [number, number]; // [gh, gw] patches
  davit: [number, number]; // [width, height]
}

export function detailShapes(width: number, height: number, p: DetailProcessing): DetailShapes {
  const work = workSize(width, height, p);
  return { work, qwenGrid: qwenGrid(work, p), davit: davitSize(work[0], work[1], p.perception) };
}

/** [gh, gw]: smart_resize of the work image, in patches. */
function qwenGrid([w, h]: [number, number], { semantic: q }: DetailProcessing): [number, number] {
  const [rh, rw] = smartResize(h, w, q.patchSize * q.mergeSize, q.minPixels, q.maxPixels);
  return [rh / q.patchSize, rw / q.patchSize];
}

/** Image tokens the decoder gets for an original W×H: smart_resize of the work image, per token. */
export function detailImageTokens(width: number, height: number, p: DetailProcessing): number {
  const [gh, gw] = qwenGrid(workSize(width, height, p), p);
  return (gh * gw) / p.semantic.mergeSize ** 2;
}
