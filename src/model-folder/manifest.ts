// model.json: the one file the app reads first from a model folder. It lists every ONNX graph (per dtype) with
// its external-data chunks, byte sizes and sha256, each graph's I/O contract, the parsed architecture record,
// every special-token id and image-processing constant the runtime needs, and the tokenizer files.
// Browser-safe: no node: imports. `validateManifest` turns untrusted JSON into a typed manifest or throws an
// error naming the key that is wrong.

import type { ConversionReport } from './conversion-report.ts';
import type { Fo1Config } from './config.ts';
import type { ImageProcessing } from './image.ts';
import type { ValueInfo } from './onnx-types.ts';

export const MANIFEST_FORMAT = 'fo1-web-model';
/** 2: SimpleFP split out of region_encoder into region_pyramid (run once per image); region_encoder takes its levels. */
export const MANIFEST_VERSION = 2;

export const COMPONENTS = ['vision_semantic', 'vision_perception', 'region_pyramid', 'region_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/**
 * fp32: float32 throughout. q4: int4 block-wise Linears (MatMulNBits), float32 activations. fp16 / q4f16: the
 * same with float16 weights and activations (norms, softmax and rotary tables stay float32; graph I/O stays
 * float32 except the decoder's KV cache) — for WebGPU adapters with `shader-f16`.
 */
export const MODEL_DTYPES = ['fp32', 'q4', 'fp16', 'q4f16'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** transformers.js' file-name suffix per dtype (utils/dtypes.js DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const DTYPE_SUFFIX: Record<ModelDtype, string> = { fp32: '', q4: '_q4', fp16: '_fp16', q4f16: '_q4f16' };

/** Whether a dtype's graphs compute in float16 (and so want a WebGPU adapter with `shader-f16`). */
export function isFloat16Dtype(dtype: ModelDtype): boolean {
  return dtype === 'fp16' || dtype === 'q4f16';
}

/**
 * The element type of the decoder's KV cache (past_key_values.* in, present.* out) in a dtype's graphs. The
 * components' inputs/outputs in model.json are the float32 contract; only these tensors differ per dtype.
 */
export function kvDtype(dtype: ModelDtype): 'float32' | 'float16' {
  return isFloat16Dtype(dtype) ? 'float16' : 'float32';
}

/** `onnx/<component><suffix>.onnx`, the layout transformers.js loads. */
export function onnxPath(component: ComponentName, dtype: ModelDtype): string {
  return `onnx/${component}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** A file of the folder, path relative to model.json. */
export interface FileEntry {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ComponentVariant {
  /** The .onnx protobuf. */
  graph: FileEntry;
  /**
   * Every external-data file the graph reads: its own chunks in order, `<graph>.onnx_data`, `<graph>.onnx_data_1`, …
   * (transformers.js naming), then any data file of another graph of the same dtype that holds weights they
   * share (the q4 decoder's tied lm_head reads `embed_tokens_q4.onnx_data`). A shared file is one download:
   * it appears under several components with the same path, bytes and sha256.
   */
  externalData: FileEntry[];
}

export interface ComponentEntry {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  variants: Partial<Record<ModelDtype, ComponentVariant>>;
}

export interface TokenIds {
  bos: number;
  eos: number[];
  imStart: number | null;
  imEnd: number | null;
  visionStart: number;
  visionEnd: number;
  imagePad: number;
  /** <region0>..<region99>, or null when the tokenizer does not add them (then they are spelled in BPE). */
  regions: number[] | null;
  ground: [number, number] | null;
  objects: [number, number] | null;
}

export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /** Where the weights came from (checkpoint folder name or hub repo@revision). */
  source: string;
  dtypes: ModelDtype[];
  quantization: { blockSize: number; minQuantK: number };
  components: Record<ComponentName, ComponentEntry>;
  config: Fo1Config;
  tokens: TokenIds;
  image: ImageProcessing;
  tokenizer: { source: string; files: FileEntry[] };
  /** What the converter read and left out (absent in folders from converters before it). */
  conversion?: ConversionReport;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** A real fo1-web model folder, but from an older converter: its graphs do not fit this app. */
export class OutdatedManifestError extends ManifestError {
  override name = 'OutdatedManifestError';
}

type Json = Record<string, unknown>;

function obj(v: unknown, at: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ManifestError(`model.json: ${at} must be an object`);
  return v as Json;
}

function num(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ManifestError(`model.json: ${at} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, at: string): string {
  if (typeof v !== 'string') throw new ManifestError(`model.json: ${at} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function arr(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) throw new ManifestError(`model.json: ${at} must be an array`);
  return v;
}

function idOrNull(v: unknown, at: string): void {
  if (v !== null) num(v, at);
}

function fileEntry(v: unknown, at: string): void {
  const f = obj(v, at);
  const path = str(f.path, `${at}.path`);
  // Paths are resolved against the folder URL: never absolute, never climbing out of it.
  if (path.startsWith('/') || path.split('/').includes('..') || path.includes('\\')) throw new ManifestError(`model.json: ${at}.path ${JSON.stringify(path)} must stay inside the model folder`);
  if (!Number.isInteger(f.bytes) || (f.bytes as number) < 0) throw new ManifestError(`model.json: ${at}.bytes must be a byte count`);
  if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) throw new ManifestError(`model.json: ${at}.sha256 must be 64 hex digits`);
}

function valueInfos(v: unknown, at: string): void {
  arr(v, at).forEach((x, i) => {
    const info = obj(x, `${at}[${i}]`);
    str(info.name, `${at}[${i}].name`);
    str(info.dtype, `${at}[${i}].dtype`);
    arr(info.dims, `${at}[${i}].dims`).forEach((d, j) => {
      if (typeof d !== 'number' && typeof d !== 'string') throw new ManifestError(`model.json: ${at}[${i}].dims[${j}] must be a number or a name`);
    });
  });
}

/** A data file listed by several graphs (shared weights) must be listed alike, or their checks would disagree. */
function sameAsBefore(seen: Map<string, { f: Json; at: string }>, f: Json, at: string): void {
  const first = seen.get(f.path as string);
  if (!first) seen.set(f.path as string, { f, at });
  else if (first.f.bytes !== f.bytes || first.f.sha256 !== f.sha256) throw new ManifestError(`model.json: ${at} lists ${f.path} with other bytes or sha256 than ${first.at}`);
}

/** An older folder lacks graphs this app runs (version 1: no region_pyramid), a newer one may change them. */
function checkVersion(v: unknown): void {
  if (v === MANIFEST_VERSION) return;
  if (typeof v === 'number' && Number.isInteger(v) && v < MANIFEST_VERSION) {
    const missing = v < 2 ? ' (it has no region_pyramid graph)' : '';
    throw new OutdatedManifestError(`model.json: version ${v}: this model folder was converted by an older converter${missing}: re-convert it (this app reads version ${MANIFEST_VERSION})`);
  }
  throw new ManifestError(`model.json: version ${JSON.stringify(v)} is not supported (this app reads version ${MANIFEST_VERSION}; re-convert the model)`);
}

/** Checks the structure the runtime relies on; the content of `config` is the converter's parsed record. */
export function validateManifest(json: unknown): ModelManifest {
  const m = obj(json, 'top level');
  if (m.format !== MANIFEST_FORMAT) throw new ManifestError(`model.json: format is ${JSON.stringify(m.format)}, expected "${MANIFEST_FORMAT}"`);
  checkVersion(m.version);
  str(m.source, 'source');
  const dtypes = arr(m.dtypes, 'dtypes');
  if (dtypes.length === 0) throw new ManifestError('model.json: dtypes is empty');
  for (const d of dtypes) if (!(MODEL_DTYPES as readonly unknown[]).includes(d)) throw new ManifestError(`model.json: unknown dtype ${JSON.stringify(d)} in dtypes (known: ${MODEL_DTYPES.join(', ')})`);
  const q = obj(m.quantization, 'quantization');
  num(q.blockSize, 'quantization.blockSize');
  num(q.minQuantK, 'quantization.minQuantK');
  const components = obj(m.components, 'components');
  const dataFiles = new Map<string, { f: Json; at: string }>();
  for (const c of COMPONENTS) {
    const e = obj(components[c], `components.${c}`);
    valueInfos(e.inputs, `components.${c}.inputs`);
    valueInfos(e.outputs, `components.${c}.outputs`);
    const variants = obj(e.variants, `components.${c}.variants`);
    for (const d of dtypes as ModelDtype[]) {
      const at = `components.${c}.variants.${d}`;
      const v = obj(variants[d], at);
      fileEntry(v.graph, `${at}.graph`);
      arr(v.externalData, `${at}.externalData`).forEach((f, i) => {
        fileEntry(f, `${at}.externalData[${i}]`);
        sameAsBefore(dataFiles, f as Json, `${at}.externalData[${i}]`);
      });
    }
  }
  const config = obj(m.config, 'config');
  for (const k of ['text', 'vision', 'davit', 'region', 'ids']) obj(config[k], `config.${k}`);
  const t = obj(m.tokens, 'tokens');
  num(t.bos, 'tokens.bos');
  arr(t.eos, 'tokens.eos').forEach((e, i) => num(e, `tokens.eos[${i}]`));
  for (const k of ['visionStart', 'visionEnd', 'imagePad']) num(t[k], `tokens.${k}`);
  for (const k of ['imStart', 'imEnd']) idOrNull(t[k], `tokens.${k}`);
  if (t.regions !== null) arr(t.regions, 'tokens.regions').forEach((r, i) => num(r, `tokens.regions[${i}]`));
  for (const k of ['ground', 'objects']) if (t[k] !== null) arr(t[k], `tokens.${k}`).forEach((r, i) => num(r, `tokens.${k}[${i}]`));
  const img = obj(m.image, 'image');
  num(img.maxLongSide, 'image.maxLongSide');
  num(img.minSide, 'image.minSide');
  const sem = obj(img.semantic, 'image.semantic');
  for (const k of ['patchSize', 'temporalPatchSize', 'mergeSize', 'minPixels', 'maxPixels']) num(sem[k], `image.semantic.${k}`);
  const per = obj(img.perception, 'image.perception');
  for (const [part, p] of [['semantic', sem], ['perception', per]] as const) {
    for (const k of ['mean', 'std']) {
      const a = arr(p[k], `image.${part}.${k}`);
      if (a.length !== 3) throw new ManifestError(`model.json: image.${part}.${k} must have 3 channels`);
      a.forEach((x, i) => num(x, `image.${part}.${k}[${i}]`));
    }
  }
  str(per.aspectMode, 'image.perception.aspectMode');
  const tok = obj(m.tokenizer, 'tokenizer');
  str(tok.source, 'tokenizer.source');
  arr(tok.files, 'tokenizer.files').forEach((f, i) => fileEntry(f, `tokenizer.files[${i}]`));
  return json as ModelManifest;
}

/** Every file the manifest lists (graphs, their data chunks, tokenizer files), each once, for download and checks. */
export function manifestFiles(m: ModelManifest, dtype?: ModelDtype): FileEntry[] {
  const out = new Map<string, FileEntry>();
  for (const c of COMPONENTS) {
    for (const d of dtype ? [dtype] : m.dtypes) {
      const v = m.components[c].variants[d];
      if (v) for (const f of [v.graph, ...v.externalData]) if (!out.has(f.path)) out.set(f.path, f);
    }
  }
  return [...out.values(), ...m.tokenizer.files];
}
