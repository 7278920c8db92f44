// Checkpoint folder → model folder (issue 2 §3): reads config.json + safetensors + tokenizer files, emits the
// six ONNX graphs per dtype through the emitters with external data beside each graph, and writes model.json.
// A weight two graphs of a dtype store alike (the tied q4 embedding table) is written once and listed among
// the external data of both.
// Weights stream one tensor at a time from the checkpoint into the data files; the whole output is written to
// a temporary folder and renamed into place only when complete (converter/write/model-folder.ts).
//
//   checkpoint/ ─ Checkpoint ─ parseFo1Config ─┬─ emitVisionSemantic   ─► onnx/vision_semantic{,_q4,_fp16,_q4f16}.onnx(+_data)
//               readTokenizer                  ├─ emitVisionPerception ─► onnx/vision_perception…
//               preprocessor_config.json       ├─ emitRegionPyramid    ─► onnx/region_pyramid…  (SimpleFP, once per image)
//               generation_config.json         ├─ emitRegionEncoder    ─► onnx/region_encoder…  (per box set)
//                                              ├─ emitEmbedTokens      ─► onnx/embed_tokens…
//                                              ├─ emitDecoder          ─► onnx/decoder_model_merged…
//                                              └─ tokenizer.json, tokenizer_config.json, model.json

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Graph, type GraphOptions } from '../src/onnx/graph.ts';
import type { ValueInfo } from '../src/onnx/proto.ts';
import { emitDecoder, emitEmbedTokens } from './emit/decoder.ts';
import type { EmitContext, WeightFormat } from './emit/linear.ts';
import { emitRegionEncoder } from './emit/region-encoder.ts';
import { emitRegionPyramid } from './emit/region-pyramid.ts';
import { emitVisionPerception } from './emit/vision-perception.ts';
import { emitVisionSemantic } from './emit/vision-semantic.ts';
import { decoderIO, embedTokensIO, isKvName, REGION_ENCODER_IO, REGION_PYRAMID_IO, VISION_PERCEPTION_IO, VISION_SEMANTIC_IO } from '../src/model-folder/graph-io.ts';
import { Checkpoint, type WeightSource } from './read/checkpoint.ts';
import { ConfigError, parseFo1Config } from './read/config.ts';
import type { Fo1Config } from '../src/model-folder/config.ts';
import { fo1ImageProcessing, type ImageProcessing } from '../src/model-folder/image.ts';
import { readTokenizer, specialTokenIds, type CheckpointTokenizer } from './read/tokenizer.ts';
import { nodeFiles, type FileSystem } from './write/file-sink.ts';
import { ModelFolderWriter } from './write/model-folder.ts';
import {
  COMPONENTS,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  onnxPath,
  type ComponentEntry,
  type ComponentName,
  type FileEntry,
  type ModelDtype,
  type ModelManifest,
  type TokenIds,
} from '../src/model-folder/manifest.ts';

export interface ConvertProgress {
  /** e.g. "decoder_model_merged (q4)". */
  stage: string;
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface ConvertOptions {
  checkpoint: string;
  out: string;
  dtypes: readonly ModelDtype[];
  /** Recorded in model.json; defaults to the checkpoint folder's name. */
  source?: string;
  blockSize?: number;
  minQuantK?: number;
  onProgress?: (p: ConvertProgress) => void;
  /** The file layer (tests inject a full disk). */
  fs?: FileSystem;
  maxChunkBytes?: number;
}

export interface ConvertResult {
  out: string;
  manifest: ModelManifest;
  /** Every file of the folder, model.json included. */
  files: FileEntry[];
}

interface ComponentSpec {
  io: (cfg: Fo1Config) => { inputs: readonly ValueInfo[]; outputs: readonly ValueInfo[] };
  emit: (g: Graph, ctx: EmitContext, cfg: Fo1Config) => Promise<unknown>;
}

const EMITTERS: Record<ComponentName, ComponentSpec> = {
  vision_semantic: { io: () => VISION_SEMANTIC_IO, emit: (g, ctx, c) => emitVisionSemantic(g, ctx, { vision: c.vision, projectorType: c.region.projectorType }) },
  vision_perception: { io: () => VISION_PERCEPTION_IO, emit: (g, ctx, c) => emitVisionPerception(g, ctx, c.davit) },
  region_pyramid: { io: () => REGION_PYRAMID_IO, emit: (g, ctx, c) => emitRegionPyramid(g, ctx, c.region) },
  region_encoder: { io: () => REGION_ENCODER_IO, emit: (g, ctx, c) => emitRegionEncoder(g, ctx, { region: c.region, davit: c.davit }) },
  embed_tokens: { io: (c) => embedTokensIO(c.text), emit: (g, ctx, c) => emitEmbedTokens(g, ctx, c.text) },
  decoder_model_merged: { io: (c) => decoderIO(c.text), emit: (g, ctx, c) => emitDecoder(g, ctx, c.text) },
};

/**
 * How each dtype is built from the one set of emitters: the Linears' weight format (linear.ts), and whether
 * the graph goes through the float16 pass (src/onnx/float16.ts), which keeps float32 I/O except the KV cache.
 */
const BUILDS: Record<ModelDtype, { format: WeightFormat; float16: boolean }> = {
  fp32: { format: 'fp32', float16: false },
  q4: { format: 'q4', float16: false },
  fp16: { format: 'fp32', float16: true },
  q4f16: { format: 'q4', float16: true },
};

/** The weight format and Graph options that build `dtype`'s graphs (for callers that emit graphs themselves). */
export function dtypeBuild(dtype: ModelDtype): { format: WeightFormat; graph: GraphOptions } {
  const { format, float16 } = BUILDS[dtype];
  return { format, graph: float16 ? { float16: { float16IO: isKvName } } : {} };
}

export async function convert(opts: ConvertOptions): Promise<ConvertResult> {
  if (opts.dtypes.length === 0) throw new Error('convert: no dtype requested');
  const ck = await Checkpoint.open(opts.checkpoint);
  const writer = new ModelFolderWriter(opts.out, opts.fs ?? nodeFiles, opts.maxChunkBytes);
  try {
    const config = parseFo1Config(ck.config, (n) => ck.shape(n));
    const tokenizer = await readTokenizer(opts.checkpoint);
    const image = await readImageProcessing(opts.checkpoint, config);
    const tokens = await readTokenIds(opts.checkpoint, config, tokenizer);
    const quantization = { blockSize: opts.blockSize ?? 32, minQuantK: opts.minQuantK ?? opts.blockSize ?? 32 };
    await writer.begin();
    const files: FileEntry[] = [];
    const progress = new ProgressCounter(ck, opts.dtypes.length, opts.onProgress);
    const components = {} as Record<ComponentName, ComponentEntry>;
    for (const name of COMPONENTS) {
      const io = EMITTERS[name].io(config);
      components[name] = { inputs: [...io.inputs], outputs: [...io.outputs], variants: {} };
    }
    for (const dtype of opts.dtypes) {
      // Within one dtype, a weight two graphs store alike is written once (the tied q4 embedding table:
      // embed_tokens writes it, the decoder's lm_head reads embed_tokens' data file).
      const shared = writer.sharedWeights('onnx');
      const written = new Map<string, FileEntry>(); // data file name → entry, this dtype
      for (const name of COMPONENTS) {
        progress.stage = `${name} (${dtype})`;
        const path = onnxPath(name, dtype);
        const store = writer.weightStore(path, shared);
        const build = dtypeBuild(dtype);
        const g = new Graph(name, store, build.graph);
        const ctx: EmitContext = { w: progress.source, format: build.format, ...quantization };
        await EMITTERS[name].emit(g, ctx, config);
        const chunks = store.finish().map((c) => {
          const entry = { path: join('onnx', c.name), bytes: c.bytes, sha256: c.sha256 };
          written.set(c.name, entry);
          return entry;
        });
        const borrowed = store.borrowed().map((file) => {
          const entry = written.get(file);
          if (!entry) throw new Error(`${path} reads shared weights from ${file}, which no earlier ${dtype} graph wrote`);
          return entry;
        });
        const graph = writer.writeFile(path, g.encode());
        components[name].variants[dtype] = { graph, externalData: [...chunks, ...borrowed] };
        files.push(graph, ...chunks);
      }
    }
    const tokenizerFiles = [
      writer.writeFile('tokenizer.json', json(tokenizer.tokenizerJson, false)),
      writer.writeFile('tokenizer_config.json', json(tokenizer.tokenizerConfig, true)),
    ];
    files.push(...tokenizerFiles);
    const manifest: ModelManifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      source: opts.source ?? basename(opts.checkpoint),
      dtypes: [...opts.dtypes],
      quantization,
      components,
      config,
      tokens,
      image,
      tokenizer: { source: tokenizer.source, files: tokenizerFiles },
    };
    files.push(await writer.commit(manifest));
    return { out: writer.out, manifest, files };
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    await ck.close();
  }
}

function json(v: unknown, pretty: boolean): Uint8Array {
  return new TextEncoder().encode(pretty ? JSON.stringify(v, null, 2) + '\n' : JSON.stringify(v));
}

/** Counts tensors and bytes as the emitters read them, for the progress bar. */
class ProgressCounter {
  stage = '';
  readonly source: WeightSource;
  private tensorsDone = 0;
  private bytesDone = 0;

  constructor(ck: Checkpoint, passes: number, onProgress?: (p: ConvertProgress) => void) {
    const tensorsTotal = ck.names().length * passes;
    const bytesTotal = ck.totalBytes() * passes;
    this.source = {
      has: (n) => ck.has(n),
      shape: (n) => ck.shape(n),
      names: () => ck.names(),
      get: async (name, shape) => {
        const t = await ck.get(name, shape);
        const e = ck.entry(name)!;
        this.tensorsDone++;
        this.bytesDone += e.end - e.begin;
        onProgress?.({ stage: this.stage, tensorsDone: Math.min(this.tensorsDone, tensorsTotal), tensorsTotal, bytesDone: Math.min(this.bytesDone, bytesTotal), bytesTotal });
        return t;
      },
    };
  }
}

type Json = Record<string, unknown>;

async function optionalJson(dir: string, file: string): Promise<Json> {
  const path = join(dir, file);
  if (!existsSync(path)) return {};
  try {
    const v = JSON.parse(await readFile(path, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
}

function numberKey(c: Json, key: string, file: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !(v > 0)) throw new ConfigError(`${file}: ${key} = ${JSON.stringify(v)} must be a positive number`);
  return v;
}

function channels(c: Json, key: string, file: string, fallback: number[]): number[] {
  const v = c[key] ?? fallback;
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number')) throw new ConfigError(`${file}: ${key} = ${JSON.stringify(v)} must be 3 numbers (R, G, B)`);
  return v as number[];
}

/** Image constants: FO1's (src/model-folder/image.ts), the Qwen processor's as preprocessor_config.json says. */
async function readImageProcessing(dir: string, config: Fo1Config): Promise<ImageProcessing> {
  const f = 'preprocessor_config.json';
  const p = await optionalJson(dir, f);
  const size = (p.size ?? {}) as Json; // newer processors: size.{shortest_edge, longest_edge} = min/max pixels
  const patchSize = numberKey(p, 'patch_size', f, config.vision.patchSize);
  const mergeSize = numberKey(p, 'merge_size', f, config.vision.spatialMergeSize);
  if (patchSize !== config.vision.patchSize || mergeSize !== config.vision.spatialMergeSize) {
    throw new ConfigError(`${f}: patch_size ${patchSize} / merge_size ${mergeSize} disagree with config.json vision_config (${config.vision.patchSize} / ${config.vision.spatialMergeSize})`);
  }
  const fo1 = fo1ImageProcessing(config.region.auxAspectMode);
  return {
    ...fo1,
    semantic: {
      mean: channels(p, 'image_mean', f, fo1.semantic.mean),
      std: channels(p, 'image_std', f, fo1.semantic.std),
      patchSize,
      temporalPatchSize: numberKey(p, 'temporal_patch_size', f, config.vision.temporalPatchSize),
      mergeSize,
      // Absent keys: Qwen2VLImageProcessor's own defaults, as transformers would load the file.
      minPixels: numberKey(p, 'min_pixels', f, (size.shortest_edge as number | undefined) ?? 3136),
      maxPixels: numberKey(p, 'max_pixels', f, (size.longest_edge as number | undefined) ?? 12845056),
    },
  };
}

async function readTokenIds(dir: string, config: Fo1Config, tokenizer: CheckpointTokenizer): Promise<TokenIds> {
  const gen = await optionalJson(dir, 'generation_config.json');
  const eosRaw = gen.eos_token_id ?? config.ids.eos;
  const eos = Array.isArray(eosRaw) ? eosRaw : [eosRaw];
  if (!eos.every((e) => Number.isInteger(e))) throw new ConfigError(`generation_config.json: eos_token_id = ${JSON.stringify(eosRaw)} must be an id or a list of ids`);
  const t = specialTokenIds(tokenizer.tokenizerJson);
  const vocab = config.text.vocabSize;
  for (const [what, id] of [['<regionN>', t.regions?.at(-1)], ['<ground>', t.ground?.[1]], ['<objects>', t.objects?.[1]]] as const) {
    if (id !== undefined && id >= vocab) throw new ConfigError(`tokenizer: ${what} has id ${id}, outside the ${vocab}-row embedding (vocab_size)`);
  }
  return {
    bos: config.ids.bos,
    eos: eos as number[],
    imStart: t.imStart,
    imEnd: t.imEnd,
    visionStart: config.ids.visionStart,
    visionEnd: config.ids.visionEnd,
    imagePad: config.ids.imageToken,
    regions: t.regions,
    ground: t.ground,
    objects: t.objects,
  };
}
