// Image-detail levels: how many pixels every encoder sees. `reference` is the authors' pipeline exactly
// (work image long side ≤ 2048, Qwen max_pixels 2048²: a 4032×3024 photo is 2044×1540, 4,015 image tokens).
// A lower level caps the *work image* at its pixel budget before anything else, so the Qwen ViT, DaViT
// (which derives its size from the work image, davit-input.ts) and the box frames (boxes.ts: original →
// work → DaViT / Qwen) all follow the one smaller image, and boxes still land where they were drawn.
// One image token is a merge² block of patches: (14·2)² = 784 pixels in Qwen2.5-VL.
import type { Backend, DetailLevel } from '../../protocol/messages.ts';
import type { QwenVisionPreprocess } from './qwen-pixels.ts';
import { davitSize } from './davit-input.ts';
import { smartResize } from './smart-resize.ts';
import { workSize } from './work-image.ts';

/** The processor constants the levels depend on. */
export type DetailGeometry = Pick<QwenVisionPreprocess, 'patchSize' | 'mergeSize' | 'minPixels' | 'maxPixels'>;

/** Each level's image-token cap; null: the reference pipeline, capped only by its 2048 long side and 2048² pixels. */
export const DETAIL_TOKEN_CAP: Readonly<Record<DetailLevel, number | null>> = { reference: null, medium: 1280, low: 512 };

/**
 * The level an ask without one gets (README "Image detail"): on wasm `low`, which keeps a phone photo's vision
 * cost near a 640×480 photo's (the full model's first answer there is ~71 s at 391 tokens); on WebGPU `medium`.
 */
export function defaultDetail(backend: Backend): DetailLevel {
  return backend === 'wasm' ? 'low' : 'medium';
}

/** The work image's pixel budget at `level` (Infinity for reference): the token cap × pixels per token. */
export function detailMaxPixels(level: DetailLevel, geo: DetailGeometry): number {
  const cap = DETAIL_TOKEN_CAP[level];
  return cap === null ? Infinity : cap * (geo.patchSize * geo.mergeSize) ** 2;
}

/** [width, height] of the work image at `level` for an original W×H. */
export function detailWorkSize(width: number, height: number, level: DetailLevel, geo: DetailGeometry): [number, number] {
  return workSize(width, height, { maxPixels: detailMaxPixels(level, geo) });
}

/**
 * The Qwen processor's constants at `level`: its max_pixels lowered to the level's budget too, since
 * smart_resize rounds the work image's sides to multiples of 28 and the rounding alone can pass the cap.
 */
export function detailQwen<G extends DetailGeometry>(level: DetailLevel, geo: G): G {
  return { ...geo, maxPixels: Math.min(geo.maxPixels, detailMaxPixels(level, geo)) };
}

/** The encoders' input shapes at `level` for an original W×H, known before any pixel is resized. */
export interface DetailShapes {
  work: [number, number]; // [width, height]
  qwenGrid: [number, number]; // [gh, gw] patches
  davit: [number, number]; // [width, height]
}

export function detailShapes(width: number, height: number, level: DetailLevel, geo: DetailGeometry, auxAspectMode: string): DetailShapes {
  const work = detailWorkSize(width, height, level, geo);
  return { work, qwenGrid: qwenGrid(work, level, geo), davit: davitSize(work[0], work[1], auxAspectMode) };
}

/** [gh, gw]: smart_resize of the work image at `level`, in patches. */
function qwenGrid([w, h]: [number, number], level: DetailLevel, geo: DetailGeometry): [number, number] {
  const q = detailQwen(level, geo);
  const [rh, rw] = smartResize(h, w, geo.patchSize * geo.mergeSize, q.minPixels, q.maxPixels);
  return [rh / geo.patchSize, rw / geo.patchSize];
}

/** Image tokens the decoder gets at `level` for an original W×H: smart_resize of the work image, per token. */
export function detailImageTokens(width: number, height: number, level: DetailLevel, geo: DetailGeometry): number {
  const [gh, gw] = qwenGrid(detailWorkSize(width, height, level, geo), level, geo);
  return (gh * gw) / geo.mergeSize ** 2;
}
