// How much memory the vision graphs' activations need for one image, estimated from the model's dimensions
// before anything runs, so that an image-detail level a backend cannot hold is refused with a message
// (naming the level, the memory and a lower level) instead of failing inside onnxruntime.
//
// The estimate is the float32 tensors alive at the heaviest op of the heaviest stage, as the graphs are
// written (converter/emit/vision-semantic.ts, vision-perception.ts); onnxruntime frees the rest between ops.
//   ViT block:   x, norm (2·N·C) + qkv, roped q|k|v (6·N·C) + q pad/chunks (2·N·C) + out (N·C)
//                + one query chunk's scores (≤ ATTENTION_SCORES_PER_CHUNK), or in the MLP: 2·N·C + 4·N·I
//   DaViT stage 0 (stride 4, the widest map): x, norm (2·T·C₀) + qkv (3·T·C₀) + MLP hidden and GELU
//                (2·4·T·C₀) + windowed scores T·nh₀·w²; later stages hold 1/2, 1/4 … of it.
// With the full 3B dims at the reference level (a 4032×3024 photo) that is ~1.2 GB for the ViT and ~3.5 GB
// for DaViT at its "dynamic" 2048×1536 input, which with the weights passes wasm32's 4 GiB: medium fits.
import { DETAIL_LEVELS, type Backend, type DetailLevel } from '../api.ts';
import { ATTENTION_SCORES_PER_CHUNK } from '../../model-folder/attention-chunk.ts';
import type { ModelManifest } from '../../model-folder/manifest.ts';
import { atDetail, detailShapes } from '../preprocess/detail.ts';

/** wasm32's address space: everything onnxruntime-web holds (weights and activations) shares it. */
export const WASM_MEMORY_BYTES = 4 * 2 ** 30;

type Config = ModelManifest['config'];

/** Peak activation bytes of vision_semantic for a gh × gw patch grid. */
export function vitPeakBytes(vision: Config['vision'], gh: number, gw: number): number {
  const N = gh * gw, C = vision.hiddenSize, I = vision.intermediateSize;
  const scores = Math.min(vision.numHeads * N * N, ATTENTION_SCORES_PER_CHUNK);
  const attention = N * C * 11 + scores;
  const mlp = N * (2 * C + 4 * I);
  return 4 * Math.max(attention, mlp);
}

/** Peak activation bytes of vision_perception (DaViT) for an input of width × height. */
export function davitPeakBytes(davit: Config['davit'], width: number, height: number): number {
  const stride = davit.patchStride[0];
  const T = Math.ceil(width / stride) * Math.ceil(height / stride);
  const C = davit.dimEmbed[0];
  return 4 * (T * C * (2 + 3 + 8) + T * davit.numHeads[0] * davit.windowSize ** 2);
}

interface VisionNeed {
  /** Estimated peak bytes: the heavier of the two encoders, plus the weights it runs beside. */
  bytes: number;
  /** What the backend has for it; Infinity where it is not known beforehand (WebGPU). */
  budget: number;
}

/**
 * The estimate against the backend: on wasm the 4 GiB less the onnxruntime graphs' own bytes (weights live in
 * the same heap; the int4 decoder has its own memory); on WebGPU no budget is known before a run.
 */
function visionNeed(config: Config, qwenGrid: [number, number], davitSize: [number, number], graphBytes: number, backend: Backend): VisionNeed {
  const activations = Math.max(vitPeakBytes(config.vision, ...qwenGrid), davitPeakBytes(config.davit, ...davitSize));
  return { bytes: activations + graphBytes, budget: backend === 'wasm' ? WASM_MEMORY_BYTES : Infinity };
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * Null when a `size` = [width, height] photo at `level` fits the backend; else the refusal's text: the level,
 * the photo, the memory, and the highest lower level that fits (or that none does).
 */
export function visionRefusal(manifest: Pick<ModelManifest, 'config' | 'image'>, size: [number, number], level: DetailLevel, graphBytes: number, backend: Backend): string | null {
  const need = (l: DetailLevel) => {
    const shapes = detailShapes(...size, atDetail(manifest.image, l));
    return visionNeed(manifest.config, shapes.qwenGrid, shapes.davit, graphBytes, backend);
  };
  const asked = need(level);
  if (asked.bytes <= asked.budget) return null;
  const lower = DETAIL_LEVELS.slice(DETAIL_LEVELS.indexOf(level) + 1).find((l) => need(l).bytes <= asked.budget);
  const what = `image detail "${level}" needs about ${gb(asked.bytes)} for this ${size[0]}×${size[1]} photo's vision encoders on ${backend}, which has ${gb(asked.budget)}`;
  return lower ? `${what}: choose "${lower}" detail instead` : `${what}, and no lower level fits either`;
}
