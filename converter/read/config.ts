// The parser of the architecture record (its types: src/model-folder/config.ts). Parsed once from the
// checkpoint's config.json (keys and variants: docs/model-format.md, Config keys) plus the tensor shapes, frozen, and never branched on by
// environment. A value the converter does not support is an error naming the key and value.
//
// Layout read: the FO1 checkpoint's config.json is a Qwen2.5-VL config (text keys at top level, or under
// `text_config` in newer transformers) with `vision_config` and the `mm_*` keys of vlm_fo1/model/omchat_arch.py.
// DaViT's dims are not in the config (the reference fixes DaViT-L by name, davit/configs.py): they are
// derived from tensor shapes, with head/group counts from the optional `davit_config` key our random
// fixtures write, else DaViT-L's head width of 32.

import { MAX_REGIONS, type DavitConfig, type Fo1Config, type RegionConfig, type TextConfig, type VisionConfig } from '../../src/model-folder/config.ts';

/** Tensor name → shape, from the checkpoint's headers. */
export type ShapeOf = (name: string) => readonly number[] | undefined;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Json = Record<string, unknown>;

const ARCH = "the authors' default: getattr(config, ..., default) in vlm_fo1/model/omchat_arch.py";
const QWEN_CONFIG = "transformers 4.50.1's Qwen2_5_VLConfig default (the authors' pinned version, requirements.txt; vendored at " +
  'vlm_fo1/model/multimodal_encoder/qwen2_5_vl/configuration_qwen2_5_vl.py)';
const QWEN_VOCAB = "the id of that token in Qwen2.5-VL's vocabulary (its tokenizer.json), which the official Qwen2.5-VL configs carry";

/**
 * The value each optional key takes when config.json lacks it, and where that default comes from: always the
 * authors' code or transformers' config class, never a project choice. The conversion report names each one
 * that applied (converter/report.ts).
 */
export const CONFIG_DEFAULTS = {
  tie_word_embeddings: { value: false, why: `${QWEN_CONFIG} L206` },
  mm_use_region_index_token: { value: false, why: "the authors' default: getattr(model.config, 'mm_use_region_index_token', False) in vlm_fo1/mm_utils.py L593" },
  mm_use_vision_tower_region_feature: { value: false, why: `${ARCH} L23` },
  mm_use_simpleFPN_for_vt: { value: false, why: `${ARCH} L28` },
  mm_use_vt_region_feature_only: { value: false, why: `${ARCH} L22` },
  mm_region_feature_combination: { value: 'concat', why: `${ARCH} L24` },
  mm_pos_embedding_strategy: { value: 'bbox_based', why: `${ARCH} L21` },
  mm_apply_region_layer_norm: { value: false, why: `${ARCH} L25` },
  mm_apply_position_embedding: { value: true, why: `${ARCH} L20` },
  mm_roi_output_size: { value: 7, why: `${ARCH} L18` },
  mm_projector_type: { value: 'linear', why: "the authors' default: getattr(config, 'mm_projector_type', 'linear') in vlm_fo1/model/multimodal_projector/builder.py L40" },
  mm_projector_aux_type: { value: 'linear', why: "the authors' default: getattr(config, 'mm_projector_aux_type', 'linear') in vlm_fo1/model/multimodal_projector/builder.py L79" },
  image_token_id: { value: 151655, why: `<|image_pad|>: ${QWEN_VOCAB}` },
  video_token_id: { value: 151656, why: `<|video_pad|>: ${QWEN_VOCAB}` },
  vision_start_token_id: { value: 151652, why: `<|vision_start|>: ${QWEN_VOCAB}` },
  vision_end_token_id: { value: 151653, why: `<|vision_end|>: ${QWEN_VOCAB}` },
  eos_token_id: { value: 151645, why: `<|im_end|>, the chat turn's end: ${QWEN_VOCAB}` },
  bos_token_id: { value: 151643, why: `<|endoftext|>: ${QWEN_VOCAB}` },
} as const satisfies Record<string, { value: unknown; why: string }>;

type DefaultKey = keyof typeof CONFIG_DEFAULTS;
const byDefault = <K extends DefaultKey>(key: K): (typeof CONFIG_DEFAULTS)[K]['value'] => CONFIG_DEFAULTS[key].value;

function get<T>(obj: Json, key: string, kind: 'number' | 'boolean' | 'string' | 'object', where: string, fallback?: T): T {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`config.json: missing key ${where}${key}`);
  }
  if (kind === 'object' ? typeof v !== 'object' : typeof v !== kind) {
    throw new ConfigError(`config.json: ${where}${key} = ${JSON.stringify(v)} is not a ${kind}`);
  }
  return v as T;
}

function requireShape(shapeOf: ShapeOf, name: string): readonly number[] {
  const s = shapeOf(name);
  if (!s) throw new ConfigError(`checkpoint: missing tensor ${name}`);
  return s;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], key: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`config.json: unsupported ${key} = ${JSON.stringify(value)} (supported: ${allowed.join(', ')})`);
  }
  return value as T;
}

const P = {
  vit: 'model.vision_tower.image_tower.',
  davit: 'model.vision_tower_aux.image_tower.',
  hfre: 'model.object_vp_extractor.',
  proj: 'model.mm_projector.',
  projAux: 'model.mm_projector_aux.',
} as const;
export const PREFIX = P;

function contextLength(c: Json, t: Json): Pick<TextConfig, 'contextLength'> {
  const v = [c.tokenizer_model_max_length, t.max_position_embeddings, c.max_position_embeddings].find((x) => x !== undefined && x !== null);
  if (v === undefined) return {};
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`config.json: the context length ${JSON.stringify(v)} (tokenizer_model_max_length / max_position_embeddings) is not a positive integer`);
  return { contextLength: v };
}

export function parseText(c: Json): TextConfig {
  const w = c.text_config ? 'text_config.' : '';
  const t = (c.text_config as Json | undefined) ?? c;
  const hiddenSize = get<number>(t, 'hidden_size', 'number', w);
  const numHeads = get<number>(t, 'num_attention_heads', 'number', w);
  const scaling = get<Json>(t, 'rope_scaling', 'object', w, c.rope_scaling as Json);
  const section = scaling.mrope_section as number[] | undefined;
  if (!Array.isArray(section) || section.length !== 3) {
    throw new ConfigError(`config.json: ${w}rope_scaling.mrope_section = ${JSON.stringify(section)} must be three ints (t, h, w)`);
  }
  const headDim = hiddenSize / numHeads;
  if (2 * (section[0] + section[1] + section[2]) !== headDim) {
    throw new ConfigError(`config.json: ${w}rope_scaling.mrope_section ${JSON.stringify(section)} does not cover head_dim/2 = ${headDim / 2}`);
  }
  return {
    hiddenSize,
    intermediateSize: get(t, 'intermediate_size', 'number', w),
    numLayers: get(t, 'num_hidden_layers', 'number', w),
    numHeads,
    numKvHeads: get(t, 'num_key_value_heads', 'number', w),
    headDim,
    vocabSize: get(t, 'vocab_size', 'number', w),
    rmsNormEps: get(t, 'rms_norm_eps', 'number', w),
    ropeTheta: get(t, 'rope_theta', 'number', w),
    mropeSection: [section[0], section[1], section[2]],
    tieWordEmbeddings: get(c, 'tie_word_embeddings', 'boolean', '', get<boolean>(t, 'tie_word_embeddings', 'boolean', w, byDefault('tie_word_embeddings'))),
    ...contextLength(c, t),
  };
}

export function parseVision(c: Json): VisionConfig {
  const v = get<Json>(c, 'vision_config', 'object', '');
  const w = 'vision_config.';
  return {
    depth: get(v, 'depth', 'number', w),
    hiddenSize: get(v, 'hidden_size', 'number', w),
    intermediateSize: get(v, 'intermediate_size', 'number', w),
    numHeads: get(v, 'num_heads', 'number', w),
    outHiddenSize: get(v, 'out_hidden_size', 'number', w),
    patchSize: get(v, 'patch_size', 'number', w, get<number>(v, 'spatial_patch_size', 'number', w, 14)),
    temporalPatchSize: get(v, 'temporal_patch_size', 'number', w, 2),
    spatialMergeSize: get(v, 'spatial_merge_size', 'number', w, 2),
    windowSize: get(v, 'window_size', 'number', w, 112),
    fullattBlockIndexes: get(v, 'fullatt_block_indexes', 'object', w, [7, 15, 23, 31]),
    inChannels: get(v, 'in_channels', 'number', w, get<number>(v, 'in_chans', 'number', w, 3)),
    rmsNormEps: 1e-6,
  };
}

export function parseDavit(c: Json, shapeOf: ShapeOf): DavitConfig {
  const tower = get<string>(c, 'mm_vision_tower_aux', 'string', '');
  if (!tower.toLowerCase().includes('davit')) {
    throw new ConfigError(`config.json: unsupported mm_vision_tower_aux = ${JSON.stringify(tower)} (only DaViT towers exist in VLM-FO1)`);
  }
  const dimEmbed: number[] = [];
  const depths: number[] = [];
  const patchSize: number[] = [];
  for (let i = 0; ; i++) {
    const s = shapeOf(`${P.davit}convs.${i}.proj.weight`);
    if (!s) break;
    dimEmbed.push(s[0]);
    patchSize.push(s[2]);
    let d = 0;
    while (shapeOf(`${P.davit}blocks.${i}.${d}.spatial_block.window_attn.fn.qkv.weight`)) d++;
    depths.push(d);
  }
  if (dimEmbed.length === 0) throw new ConfigError(`checkpoint: missing tensor ${P.davit}convs.0.proj.weight`);
  const extra = (c.davit_config as Json | undefined) ?? {};
  const heads = (extra.num_heads as number[] | undefined) ?? dimEmbed.map((d) => d / 32); // DaViT-L: 32-wide heads
  const groups = (extra.num_groups as number[] | undefined) ?? heads;
  const fc1 = requireShape(shapeOf, `${P.davit}blocks.0.0.spatial_block.ffn.fn.net.fc1.weight`);
  return {
    dimEmbed,
    depths,
    numHeads: heads,
    numGroups: groups,
    patchSize,
    patchStride: patchSize.map((_, i) => (i === 0 ? 4 : 2)),
    patchPadding: patchSize.map((k) => Math.floor(k / 2)),
    patchPrenorm: patchSize.map((_, i) => i > 0),
    windowSize: (extra.window_size as number | undefined) ?? 12,
    mlpRatio: fc1[0] / fc1[1],
    layerNormEps: 1e-5,
  };
}

export function parseRegion(c: Json, shapeOf: ShapeOf, davit: DavitConfig): RegionConfig {
  const flag = (k: DefaultKey & `mm_${string}`) => get<boolean>(c, k, 'boolean', '', byDefault(k) as boolean);
  if (!flag('mm_use_region_index_token')) {
    throw new ConfigError('config.json: mm_use_region_index_token must be true (the region-token path is what FO1 is)');
  }
  if (!flag('mm_use_vision_tower_region_feature')) {
    throw new ConfigError('config.json: unsupported mm_use_vision_tower_region_feature = false (only the hybrid aux+ViT region encoder is supported)');
  }
  if (!flag('mm_use_simpleFPN_for_vt')) {
    throw new ConfigError('config.json: unsupported mm_use_simpleFPN_for_vt = false (variant B, multi-level ViT features, is not supported yet)');
  }
  // The authors' HFREModule (vlm_fo1/model/omchat_arch.py L22, default false) then skips DaViT's features and
  // pools the ViT's alone (hybrid_finegrained_region_encoder.py L293): a different region encoder from the one built here.
  if (flag('mm_use_vt_region_feature_only')) {
    throw new ConfigError('config.json: unsupported mm_use_vt_region_feature_only = true (region features from the Qwen ViT alone; only the hybrid aux+ViT region encoder is supported)');
  }
  oneOf(get<string>(c, 'mm_region_feature_combination', 'string', '', byDefault('mm_region_feature_combination')), ['concat'] as const, 'mm_region_feature_combination');
  oneOf(get<string>(c, 'mm_pos_embedding_strategy', 'string', '', byDefault('mm_pos_embedding_strategy')), ['bbox_based'] as const, 'mm_pos_embedding_strategy');
  const fpn = requireShape(shapeOf, `${P.hfre}simple_fpn.simfp_3.0.weight`); // Conv1×1 (out, 1280, 1, 1)
  const out = fpn[0];
  const regionHiddenSize = get<number>(c, 'mm_region_hidden_size', 'number', '');
  const expectedD = davit.dimEmbed.reduce((a, b) => a + b, 0) + 4 * out;
  if (regionHiddenSize !== expectedD) {
    throw new ConfigError(`config.json: mm_region_hidden_size = ${regionHiddenSize}, but the tensors give aux ${expectedD - 4 * out} + SimpleFP 4×${out} = ${expectedD}`);
  }
  const applyRegionLayerNorm = flag('mm_apply_region_layer_norm');
  if (applyRegionLayerNorm) requireShape(shapeOf, `${P.hfre}aux_region_norm.weight`);
  const projectorAuxType = oneOf(get<string>(c, 'mm_projector_aux_type', 'string', '', byDefault('mm_projector_aux_type')), ['linear', 'mlp2x_gelu'] as const, 'mm_projector_aux_type');
  const projectorType = oneOf(get<string>(c, 'mm_projector_type', 'string', '', byDefault('mm_projector_type')), ['identity', 'linear', 'mlp2x_gelu'] as const, 'mm_projector_type');
  // Stored mm_projector weights mean the image tokens are projected; "identity" would drop them.
  const projectorWeight = [`${P.proj}0.weight`, `${P.proj}weight`].find((n) => shapeOf(n));
  if (projectorType === 'identity' && projectorWeight) {
    throw new ConfigError(`config.json: mm_projector_type = "identity", but the checkpoint has ${projectorWeight} (expected "linear" or "mlp2x_gelu")`);
  }
  // RoIAlign's bins per side (torchvision roi_align output_size; the authors' default 7, omchat_arch.py L18).
  const roiOutputSize = get<number>(c, 'mm_roi_output_size', 'number', '', byDefault('mm_roi_output_size'));
  if (!Number.isInteger(roiOutputSize) || roiOutputSize < 1 || roiOutputSize > 64) {
    throw new ConfigError(`config.json: mm_roi_output_size = ${roiOutputSize} is not a whole number of RoIAlign bins from 1 to 64`);
  }
  return {
    roiOutputSize,
    regionHiddenSize,
    useSimpleFpn: true,
    simpleFpnOutChannels: out,
    simpleFpnStrides: [3.5, 7, 14, 28],
    simpleFpnLayerNormEps: 1e-6,
    applyRegionLayerNorm,
    regionLayerNormEps: 1e-5,
    applyPositionEmbedding: flag('mm_apply_position_embedding'),
    projectorAuxType,
    projectorType,
    auxAspectMode: oneOf(get<string>(c, 'aux_image_aspect_ratio', 'string', ''), ['squash', 'dynamic_square', 'dynamic'] as const, 'aux_image_aspect_ratio'),
    auxSpatialScale: 0.25,
    maxRegions: MAX_REGIONS,
  };
}

/** Parses and validates config.json against the checkpoint's tensor shapes. */
export function parseFo1Config(json: unknown, shapeOf: ShapeOf): Fo1Config {
  if (typeof json !== 'object' || json === null) throw new ConfigError('config.json: not a JSON object');
  const c = json as Json;
  const text = parseText(c);
  const vision = parseVision(c);
  const davit = parseDavit(c, shapeOf);
  const region = parseRegion(c, shapeOf, davit);
  const t = (c.text_config as Json | undefined) ?? c;
  const id = (k: DefaultKey & `${string}_token_id`) => get<number>(c, k, 'number', '', get<number>(t, k, 'number', '', byDefault(k) as number));
  return Object.freeze({
    text: Object.freeze(text),
    vision: Object.freeze(vision),
    davit: Object.freeze(davit),
    region: Object.freeze(region),
    ids: Object.freeze({
      imageToken: id('image_token_id'),
      videoToken: id('video_token_id'),
      visionStart: id('vision_start_token_id'),
      visionEnd: id('vision_end_token_id'),
      eos: id('eos_token_id'),
      bos: id('bos_token_id'),
    }),
  });
}
