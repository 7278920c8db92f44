// The architecture record of a model folder (model.json `config`): what every emitter, the float32 reference
// and the engine read. Types only, plus the constants no config key carries: the converter parses
// config.json into this (converter/read/config.ts), the engine reads it back from model.json.
// Key-by-key origin and variants: docs/model-format.md.

/** vlm_fo1 truncates to 100 boxes (`mm_utils.py` L600): region tags <region0>..<region99>, the most boxes one question takes. */
export const MAX_REGIONS = 100;

export interface TextConfig {
  hiddenSize: number; // 2048
  intermediateSize: number; // 11008
  numLayers: number; // 36
  numHeads: number; // 16
  numKvHeads: number; // 2
  headDim: number; // hidden / heads = 128
  vocabSize: number; // 151936 embedding rows
  rmsNormEps: number; // 1e-6
  ropeTheta: number; // 1e6
  /** M-RoPE sections of headDim/2 for (t, h, w): [16, 24, 24]. */
  mropeSection: readonly [number, number, number];
  /** Qwen2.5-VL-3B ties lm_head to embed_tokens; FO1 may store lm_head.weight anyway. */
  tieWordEmbeddings: boolean;
  /**
   * Positions prompt + answer may take: FO1's tokenizer_model_max_length when set (the reference truncates
   * there), else max_position_embeddings. Absent in model.json from converters before issue 15.
   */
  contextLength?: number;
}

export interface VisionConfig {
  depth: number; // 32
  hiddenSize: number; // 1280
  intermediateSize: number; // 3420
  numHeads: number; // 16
  outHiddenSize: number; // 2048 (merger output = LLM width)
  patchSize: number; // 14
  temporalPatchSize: number; // 2
  spatialMergeSize: number; // 2
  /** Window attention span in pixels: 112 px = 8×8 patches = 4×4 merged tokens. */
  windowSize: number;
  /** Blocks with full attention; FO1 gathers the hidden state after each (the last one's is vt_map). */
  fullattBlockIndexes: readonly number[];
  inChannels: number; // 3
  rmsNormEps: number; // 1e-6 (fixed in the reference)
}

export interface DavitConfig {
  dimEmbed: readonly number[]; // [256, 512, 1024, 2048]
  depths: readonly number[]; // [1, 1, 9, 1]
  numHeads: readonly number[]; // [8, 16, 32, 64]
  numGroups: readonly number[]; // [8, 16, 32, 64]
  patchSize: readonly number[]; // [7, 3, 3, 3]
  patchStride: readonly number[]; // [4, 2, 2, 2]
  patchPadding: readonly number[]; // [3, 1, 1, 1]
  patchPrenorm: readonly boolean[]; // [false, true, true, true]
  windowSize: number; // 12
  mlpRatio: number; // 4
  layerNormEps: number; // 1e-5 (torch nn.LayerNorm default)
}

export type AuxAspectMode = 'squash' | 'dynamic_square' | 'dynamic';
export type ProjectorType = 'identity' | 'linear' | 'mlp2x_gelu';

export interface RegionConfig {
  /** RoIAlign output size R (bins per side) before the spatial mean. */
  roiOutputSize: number;
  /** D = aux channels + ViT-branch channels (5888 for the release). */
  regionHiddenSize: number;
  /** Variant A (SimpleFP over block 31) — the only ViT-branch variant the converter supports. */
  useSimpleFpn: true;
  simpleFpnOutChannels: number; // 512
  simpleFpnStrides: readonly [number, number, number, number]; // [3.5, 7, 14, 28] in input pixels
  simpleFpnLayerNormEps: number; // 1e-6
  applyRegionLayerNorm: boolean;
  regionLayerNormEps: number; // 1e-5 (nn.LayerNorm default)
  applyPositionEmbedding: boolean;
  projectorAuxType: Exclude<ProjectorType, 'identity'>;
  /** The image-token projector after the ViT merger; identity keeps Qwen2.5-VL untouched. */
  projectorType: ProjectorType;
  auxAspectMode: AuxAspectMode;
  auxSpatialScale: number; // 0.25 (DaViT stage 0 is stride 4)
  maxRegions: number; // MAX_REGIONS
}

export interface Fo1Config {
  text: TextConfig;
  vision: VisionConfig;
  davit: DavitConfig;
  region: RegionConfig;
  /** Special ids the config itself names (the tokenizer adds the region/grounding tokens). */
  ids: { imageToken: number; videoToken: number; visionStart: number; visionEnd: number; eos: number; bos: number };
}
