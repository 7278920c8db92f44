// Each graph's I/O contract, the one place both sides read it: the converter's emitters declare their
// inputs and outputs from these tables (converter/emit/*), model.json records them per component, and the
// engine names its feeds and fetches with the same functions and, at load, checks every session's names
// against them (checkGraphNames). Dims are symbolic where they depend on the image or the box count.
// Per-graph data flow and the meaning of each tensor: docs/model-format.md.

import type { TextConfig } from './config.ts';
import type { ComponentName } from './manifest.ts';
import type { Dim, DType, ValueInfo } from './onnx-types.ts';

export interface GraphIO {
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

const io = (name: string, dtype: DType, dims: readonly Dim[]): ValueInfo => ({ name, dtype, dims });

/** The graphs' single (not per-layer, per-level) tensor names, as feeds and fetches spell them. */
export const TENSOR = {
  pixelValues: 'pixel_values',
  imageEmbeds: 'image_embeds',
  vtMap: 'vt_map',
  boxEmbedding: 'box_embedding',
  regionEmbeds: 'region_embeds',
  inputIds: 'input_ids',
  inputsEmbeds: 'inputs_embeds',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  numLogitsToKeep: 'num_logits_to_keep',
  logits: 'logits',
} as const;
const T_ = TENSOR;

/**
 * num_logits_to_keep that keeps no rows: the graph slices rows [S − k, S) with k clamped to S
 * (converter/emit/decoder.ts emitKeepLast), so a negative k starts the slice past the end and lm_head runs on
 * none. 0 would mean every row (transformers.js' convention).
 */
export const NO_LOGITS = -1;

/** DaViT's four stages (strides 4, 8, 16, 32) and SimpleFP's four levels (strides 3.5, 7, 14, 28). */
export const DAVIT_STAGES = 4;
export const PYRAMID_LEVELS = 4;

/** vision_perception's stage-l output. */
export const davitStageName = (l: number): string => `stage${l}`;
/** The same map as region_encoder's input (the graph names its inputs apart from the DaViT's outputs). */
export const regionStageName = (l: number): string => `davit_stage${l}`;
/** region_pyramid's level-l output, region_encoder's input of the same name. */
export const pyramidLevelName = (l: number): string => `fpn_level${l}`;
/** region_encoder's RoIAlign-mean weights over DaViT stage l / SimpleFP level l. */
export const auxWeightsName = (l: number): string => `aux_roi_weights_${l}`;
export const vtWeightsName = (l: number): string => `vt_roi_weights_${l}`;

export type KvKind = 'key' | 'value';
/** The decoder's KV cache: past_key_values.{i}.{key,value} in, present.{i}.{key,value} out (transformers.js names). */
export const pastName = (layer: number, kind: KvKind): string => `past_key_values.${layer}.${kind}`;
export const presentName = (layer: number, kind: KvKind): string => `present.${layer}.${kind}`;

/** [layer, kind] pairs in the graph's I/O order. */
export function kvSlots(layers: number): [number, KvKind][] {
  return Array.from({ length: layers }, (_, i) => [[i, 'key'], [i, 'value']] as [number, KvKind][]).flat();
}

/** Whether a graph I/O name is one of the KV cache's. */
export function isKvName(name: string): boolean {
  return /^(past_key_values|present)\.\d+\.(key|value)$/.test(name);
}

/**
 * The initializers of an int4 Linear (checkpoint prefix, e.g. `model.layers.0.mlp.up_proj`): MatMulNBits'
 * B (N, k_blocks, block/2) uint8 codes, scales (N·k_blocks) float16 and packed zero points (N·⌈k_blocks/2⌉)
 * uint8. The engine's int4 kernels read the same initializers out of the decoder graph.
 */
export function q4InitializerNames(prefix: string, blockSize: number): { codes: string; scales: string; zeroPoints: string } {
  return { codes: `${prefix}.weight_Q4G${blockSize}`, scales: `${prefix}.weight_scale`, zeroPoints: `${prefix}.weight_zp` };
}

/**
 * vision_semantic. N = gh·gw patches in processor order; hd = head_dim; nW windows of S slots. Every input
 * but pixel_values comes from src/engine/encoders/vit-layout.ts under the same name.
 */
export const VISION_SEMANTIC_IO = {
  inputs: [
    io(T_.pixelValues, 'float32', ['num_patches', 'patch_dim']),
    io('rope_cos', 'float32', ['num_patches', 'head_dim']),
    io('rope_sin', 'float32', ['num_patches', 'head_dim']),
    io('window_index', 'int64', ['num_windows', 'window_slots']),
    io('window_bias', 'float32', ['num_windows', 1, 1, 'window_slots']),
    io('window_scatter', 'int64', ['num_patches']),
    io('raster_index', 'int64', ['grid_h', 'grid_w']),
  ],
  outputs: [
    // (N/4, D) merged, projected image tokens: the image slots' embeddings.
    io(T_.imageEmbeds, 'float32', ['num_image_tokens', 'embed_dim']),
    // ViT block-31 pre-merger map in raster order: region_pyramid's input.
    io(T_.vtMap, 'float32', [1, 'vision_hidden', 'grid_h', 'grid_w']),
  ],
} as const satisfies GraphIO;

export const VISION_PERCEPTION_IO: GraphIO = {
  // ImageNet-normalized; any H, W.
  inputs: [io(T_.pixelValues, 'float32', [1, 3, 'height', 'width'])],
  // stage l has stride 4·2^l: H_0 = ⌊(H−1)/4⌋+1, H_l = ⌊(H_{l−1}−1)/2⌋+1.
  outputs: Array.from({ length: DAVIT_STAGES }, (_, l) => io(davitStageName(l), 'float32', [1, `stage${l}_channels`, `stage${l}_height`, `stage${l}_width`])),
};

/** A pyramid level: out channels at the level's own size (4gh, 2gh, gh, ⌊gh/2⌋ rows). */
const pyramidLevelInfo = (l: number): ValueInfo => io(pyramidLevelName(l), 'float32', [1, 'fpn_channels', `fpn${l}_height`, `fpn${l}_width`]);

export const REGION_PYRAMID_IO: GraphIO = {
  inputs: [io(T_.vtMap, 'float32', [1, 'vt_channels', 'grid_h', 'grid_w'])],
  outputs: Array.from({ length: PYRAMID_LEVELS }, (_, l) => pyramidLevelInfo(l)),
};

export const REGION_ENCODER_IO: GraphIO = {
  inputs: [
    // SimpleFP levels of the ViT block-31 map (region_pyramid's outputs), strides 3.5, 7, 14, 28.
    ...Array.from({ length: PYRAMID_LEVELS }, (_, l) => pyramidLevelInfo(l)),
    // vision_perception's stage maps, strides 4, 8, 16, 32.
    ...Array.from({ length: DAVIT_STAGES }, (_, l) => io(regionStageName(l), 'float32', [1, `stage${l}_channels`, `stage${l}_height`, `stage${l}_width`])),
    // RoIAlign-mean weights over each DaViT level at its own size (upsampling to F0 folded in).
    ...Array.from({ length: DAVIT_STAGES }, (_, l) => io(auxWeightsName(l), 'float32', ['num_regions', `stage${l}_pixels`])),
    // RoIAlign-mean weights over each SimpleFP level: (4gh·4gw), (2gh·2gw), (gh·gw), (⌊gh/2⌋·⌊gw/2⌋).
    ...Array.from({ length: PYRAMID_LEVELS }, (_, l) => io(vtWeightsName(l), 'float32', ['num_regions', `fpn${l}_pixels`])),
    // y-first sine embedding of the vt boxes.
    io(T_.boxEmbedding, 'float32', ['num_regions', 'region_hidden_size']),
  ],
  outputs: [io(T_.regionEmbeds, 'float32', ['num_regions', 'hidden_size'])],
};

const B: Dim = 'batch_size';
const S: Dim = 'sequence_length';
const P: Dim = 'past_sequence_length';
const T: Dim = 'total_sequence_length';
const L: Dim = 'logits_length';

/** embed_tokens: input_ids (B, S) int64 → inputs_embeds (B, S, H). */
export function embedTokensIO(cfg: TextConfig): GraphIO {
  return {
    inputs: [io(T_.inputIds, 'int64', [B, S])],
    outputs: [io(T_.inputsEmbeds, 'float32', [B, S, cfg.hiddenSize])],
  };
}

/** decoder_model_merged: the layer count fixes the KV names, so the contract is a function of the config. */
export function decoderIO(cfg: TextConfig): GraphIO {
  const kv = (name: typeof pastName, len: Dim): ValueInfo[] => kvSlots(cfg.numLayers).map(([i, kind]) => io(name(i, kind), 'float32', [B, cfg.numKvHeads, len, cfg.headDim]));
  return {
    inputs: [
      io(T_.inputsEmbeds, 'float32', [B, S, cfg.hiddenSize]),
      io(T_.attentionMask, 'int64', [B, T]),
      io(T_.positionIds, 'int64', [3, B, S]),
      // transformers.js sets it when the session declares it: 0 = logits for every token, k = the last k only
      // (generation needs 1; full prefill logits would be S·V floats, 1.2 GB at S = 2048 for the 3B vocabulary);
      // NO_LOGITS = none (a cached prompt prefix, every prefill chunk but the last).
      io(T_.numLogitsToKeep, 'int64', []),
      ...kv(pastName, P),
    ],
    outputs: [io(T_.logits, 'float32', [B, L, cfg.vocabSize]), ...kv(presentName, T)],
  };
}

/** Every component's contract for a text config (only the text graphs' depend on it). */
export function componentIO(component: ComponentName, text: TextConfig): GraphIO {
  switch (component) {
    case 'vision_semantic': return VISION_SEMANTIC_IO;
    case 'vision_perception': return VISION_PERCEPTION_IO;
    case 'region_pyramid': return REGION_PYRAMID_IO;
    case 'region_encoder': return REGION_ENCODER_IO;
    case 'embed_tokens': return embedTokensIO(text);
    case 'decoder_model_merged': return decoderIO(text);
  }
}

/** A graph whose input or output names are not its component's contract (another converter, a hand-edited folder). */
export class GraphContractError extends Error {
  override name = 'GraphContractError';
}

/**
 * Throws naming the graph and the first name that differs when a session's inputs or outputs are not
 * exactly `expected`'s (order free: onnxruntime reports them in graph order, which the contract fixes anyway).
 */
export function checkGraphNames(graph: string, expected: GraphIO, got: { inputNames: readonly string[]; outputNames: readonly string[] }): void {
  for (const [side, want, have] of [['input', expected.inputs, got.inputNames], ['output', expected.outputs, got.outputNames]] as const) {
    const wanted = new Set(want.map((v) => v.name));
    const missing = [...wanted].find((n) => !have.includes(n));
    if (missing) throw new GraphContractError(`${graph}: the graph has no ${side} ${missing} (its ${side}s: ${have.join(', ') || 'none'}); re-convert the model`);
    const extra = have.find((n) => !wanted.has(n));
    if (extra) throw new GraphContractError(`${graph}: unexpected ${side} ${extra}, which the ${graph} contract does not have; re-convert the model`);
  }
}
