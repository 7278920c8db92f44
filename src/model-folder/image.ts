// The image-processing constants of a model folder (model.json `image`): the converter writes them (from the
// checkpoint's preprocessor_config.json where it has them, else these defaults), the engine's preprocessing
// is built from the same values. Where each comes from in the authors' code: docs/model-format.md.

import type { AuxAspectMode } from './config.ts';

export type Triple = readonly [number, number, number];

/** mm_utils.py resize_shortest_edge_images_and_bboxes (max_size 2048) and load_image: the work image's bounds. */
export const MAX_LONG_SIDE = 2048;
export const MIN_SIDE = 28;

/** Qwen2VLImageProcessor's OPENAI_CLIP mean/std, the ViT's normalization. */
export const CLIP_MEAN: Triple = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: Triple = [0.26862954, 0.26130258, 0.27577711];
/** FO1 builds the Qwen processor with min 56·56 and max 2048·2048 pixels (qwen2_5_vl_encoder.py L179-212). */
export const FO1_MIN_PIXELS = 56 * 56;
export const FO1_MAX_PIXELS = 2048 * 2048;

/** DaViT's ImageNet mean/std (davit/image_processing_clip.py). */
export const IMAGENET_MEAN: Triple = [0.485, 0.456, 0.406];
export const IMAGENET_STD: Triple = [0.229, 0.224, 0.225];
/** `size` is hard-coded 768×768 in davit/configs.py img_cfg, whatever aux_image_size says. */
export const SQUASH_SIZE = 768;
/** aux_image_aspect_ratio = dynamic_square: the square sides, the one whose area is nearest the work image's is used. */
export const DYNAMIC_SQUARE_SIZES = [384, 448, 512, 576, 640, 704, 768, 832, 896, 960, 1024, 1280, 1536, 1792, 2048] as const;

/** model.json `image`: every constant the engine's preprocessing runs with (src/engine/preprocess/prepare.ts). */
export interface ImageProcessing {
  /** Long side capped before anything else (the work image); sides below minSide are scaled up. */
  maxLongSide: number;
  minSide: number;
  semantic: { mean: number[]; std: number[]; patchSize: number; temporalPatchSize: number; mergeSize: number; minPixels: number; maxPixels: number };
  perception: { mean: number[]; std: number[]; aspectMode: AuxAspectMode; squashSize: number; dynamicSquareSizes: number[] };
}

/**
 * FO1's own preprocessing for an aux aspect mode: what the converter writes for the release checkpoint (whose
 * preprocessor_config.json may still say Qwen's default max_pixels, which the 2048 cap keeps from binding), and
 * what tests of the preprocessing run with when they have no model folder.
 */
export function fo1ImageProcessing(aspectMode: AuxAspectMode): ImageProcessing {
  return {
    maxLongSide: MAX_LONG_SIDE,
    minSide: MIN_SIDE,
    semantic: { mean: [...CLIP_MEAN], std: [...CLIP_STD], patchSize: 14, temporalPatchSize: 2, mergeSize: 2, minPixels: FO1_MIN_PIXELS, maxPixels: FO1_MAX_PIXELS },
    perception: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], aspectMode, squashSize: SQUASH_SIZE, dynamicSquareSizes: [...DYNAMIC_SQUARE_SIZES] },
  };
}
