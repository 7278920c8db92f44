// Checkpoint folder → model folder (docs/model-format.md): reads config.json + safetensors + tokenizer files, emits the
// six ONNX graphs per dtype through the emitters with external data beside each graph, and writes model.json.
// A weight two graphs of a dtype store alike (the tied q4 embedding table) is written once and listed among
// the external data of both.
// Weights stream one tensor at a time from the checkpoint (a local folder, or a Hub repository read by range)
// into the data files; model.json is written last. The same module runs in Node and in a browser worker: it
// imports nothing of Node's, and the Node-only pieces (a folder path as checkpoint, the default output: a
// temporary folder renamed into place, converter/write/model-folder.ts) are loaded only when used.
//
//   checkpoint/ ─ Checkpoint ─ parseFo1Config ─┬─ emitVisionSemantic   ─► onnx/vision_semantic{,_q4,_fp16,_q4f16}.onnx(+_data)
//               readTokenizer                  ├─ emitVisionPerception ─► onnx/vision_perception…
//               preprocessor_config.json       ├─ emitRegionPyramid    ─► onnx/region_pyramid…  (SimpleFP, once per image)
//               generation_config.json         ├─ emitRegionEncoder    ─► onnx/region_encoder…  (per box set)
//                                              ├─ emitEmbedTokens      ─► onnx/embed_tokens…
//                                              ├─ emitDecoder          ─► onnx/decoder_model_merged…
//                                              └─ tokenizer.json, tokenizer_config.json, model.json

import { Graph, type GraphOptions } from '../src/onnx/graph.ts';
import type { ValueInfo } from '../src/onnx/proto.ts';
import { emitDecoder, emitEmbedTokens } from './emit/decoder.ts';
import type { EmitContext, WeightFormat } from './emit/linear.ts';
import { emitRegionEncoder } from './emit/region-encoder.ts';
import { emitRegionPyramid } from './emit/region-pyramid.ts';
import { emitVisionPerception } from './emit/vision-perception.ts';
import { emitVisionSemantic } from './emit/vision-semantic.ts';
import { decoderIO, embedTokensIO, isKvName, REGION_ENCODER_IO, REGION_PYRAMID_IO, VISION_PERCEPTION_IO, VISION_SEMANTIC_IO } from '../src/model-folder/graph-io.ts';
import { checkpointFiles, type CheckpointFiles } from './read/byte-source.ts';
import { Checkpoint, type WeightSource } from './read/checkpoint.ts';
import { ConfigReads, unusedTensors } from './report.ts';
import { ConvertJournal } from './resume.ts';
import { CONFIG_DEFAULTS, ConfigError, parseFo1Config } from './read/config.ts';
import type { Fo1Config } from '../src/model-folder/config.ts';
import { fo1ImageProcessing, type ImageProcessing } from '../src/model-folder/image.ts';
import { readTokenizer, specialTokenIds, type CheckpointTokenizer } from './read/tokenizer.ts';
import type { FileSystem } from './write/file-sink.ts';
import type { ExternalDataStore } from './write/external-data.ts';
import type { ModelFolderOutput } from './write/output-files.ts';
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
import type { ConvertProgress } from '../src/model-folder/convert-progress.ts';

export interface ConvertOptions {
  /** A local folder, or a Hub repository at one commit (read/hub.ts), whose weights then stream by range. */
  checkpoint: string | CheckpointFiles;
  out: string;
  dtypes: readonly ModelDtype[];
  /** Recorded in model.json; defaults to the checkpoint folder's name, or the repository@sha. */
  source?: string;
  blockSize?: number;
  minQuantK?: number;
  onProgress?: (p: ConvertProgress) => void;
  /** Where the model folder is written; default: the local folder `out`, through `fs`. */
  output?: ModelFolderOutput;
  /** The local file layer of the default output (tests inject a full disk). */
  fs?: FileSystem;
  maxChunkBytes?: number;
  /** q4 weights larger than this in float32 are read in row chunks (emit/linear.ts MAX_READ_BYTES). */
  maxReadBytes?: number;
}

export interface ConvertResult {
  out: string;
  manifest: ModelManifest;
  /** Every file of the folder, model.json included. */
  files: FileEntry[];
  /** Graphs an earlier, interrupted run had finished, which this one kept (converter/resume.ts). */
  resumed: string[];
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
  const files = await checkpointFiles(opts.checkpoint);
  const ck = await Checkpoint.open(files);
  const writer: ModelFolderOutput = opts.output ?? new (await import('./write/model-folder.ts')).ModelFolderWriter(opts.out, opts.fs, opts.maxChunkBytes);
  try {
    // Every key the parsers read, per file, for the conversion report.
    const reads = new Map<string, ConfigReads>([['config.json', new ConfigReads(CONFIG_DEFAULTS)]]);
    const config = parseFo1Config(reads.get('config.json')!.wrap(ck.config), (n) => ck.shape(n));
    const tokenizer = await readTokenizer(files);
    const image = await readImageProcessing(files, config, reads);
    const tokens = await readTokenIds(files, config, tokenizer, reads);
    const quantization = { blockSize: opts.blockSize ?? 32, minQuantK: opts.minQuantK ?? opts.blockSize ?? 32 };
    await writer.begin();
    const journal = await ConvertJournal.open(writer.journal, JSON.stringify({ version: MANIFEST_VERSION, source: files.commit ?? files.identity ?? files.label, dtypes: opts.dtypes, quantization, maxChunkBytes: opts.maxChunkBytes ?? null }));
    const resumed = journal.resumed; // before this run records its own graphs
    const written: FileEntry[] = [];
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
      const dataFiles = new Map<string, FileEntry>(); // data file name → entry, this dtype
      journal.restore(dtype, shared);
      for (const name of COMPONENTS) {
        progress.enter(`${name} (${dtype})`);
        const path = onnxPath(name, dtype);
        const done = journal.done(path);
        if (done) {
          progress.credit(done.tensors);
          for (const c of done.chunks) dataFiles.set(c.path.split('/').pop()!, c);
          components[name].variants[dtype] = { graph: done.graph, externalData: done.externalData };
          written.push(done.graph, ...done.chunks);
          continue;
        }
        const store = writer.weightStore(path, shared);
        progress.store = store;
        const build = dtypeBuild(dtype);
        const g = new Graph(name, store, build.graph);
        const ctx: EmitContext = { w: progress.source, format: build.format, ...quantization, maxReadBytes: opts.maxReadBytes };
        await EMITTERS[name].emit(g, ctx, config);
        const chunks = store.finish().map((c) => {
          const entry = { path: `onnx/${c.name}`, bytes: c.bytes, sha256: c.sha256 };
          dataFiles.set(c.name, entry);
          return entry;
        });
        const borrowed = store.borrowed().map((file) => {
          const entry = dataFiles.get(file);
          if (!entry) throw new Error(`${path} reads shared weights from ${file}, which no earlier ${dtype} graph wrote`);
          return entry;
        });
        const graph = await writer.writeFile(path, g.encode());
        components[name].variants[dtype] = { graph, externalData: [...chunks, ...borrowed] };
        written.push(graph, ...chunks);
        await journal.record(path, { graph, chunks, externalData: [...chunks, ...borrowed], tensors: progress.takeGraphReads() }, dtype, shared);
      }
    }
    const tensors = unusedTensors(ck.names(), progress.used, config);
    const tokenizerFiles = [
      await writer.writeFile('tokenizer.json', json(tokenizer.tokenizerJson, false)),
      await writer.writeFile('tokenizer_config.json', json(tokenizer.tokenizerConfig, true)),
    ];
    written.push(...tokenizerFiles);
    const manifest: ModelManifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      source: opts.source ?? (typeof opts.checkpoint === 'string' ? opts.checkpoint.replace(/[/\\]+$/, '').split(/[/\\]/).pop()! : files.label),
      dtypes: [...opts.dtypes],
      quantization,
      components,
      config,
      tokens,
      image,
      tokenizer: { source: tokenizer.source, files: tokenizerFiles },
      conversion: {
        ...(files.commit ? { commit: files.commit } : {}),
        config: Object.fromEntries([...reads].map(([file, r]) => [file, r.report()])),
        tensors,
      },
    };
    written.push(await writer.commit(manifest));
    return { out: writer.out, manifest, files: written, resumed };
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

/** Counts tensors and bytes as the emitters read them, for the progress bar, and which tensors were read. */
class ProgressCounter {
  private stage = '';
  readonly source: WeightSource;
  readonly used = new Set<string>();
  /** The graph's weight store being written: its next chunk file is readied before each read. */
  store: ExternalDataStore | null = null;
  /** Tensors read whole since the last takeGraphReads (a graph's, for the resume journal). */
  private graphReads: string[] = [];
  private readonly credited: (name: string) => void;
  private readonly report: () => void;
  private tensorsDone = 0;
  private bytesDone = 0;

  constructor(ck: Checkpoint, passes: number, onProgress?: (p: ConvertProgress) => void) {
    const tensorsTotal = ck.names().length * passes;
    const bytesTotal = ck.totalBytes() * passes;
    this.report = () => onProgress?.({ stage: this.stage, tensorsDone: Math.min(this.tensorsDone, tensorsTotal), tensorsTotal, bytesDone: Math.min(this.bytesDone, bytesTotal), bytesTotal });
    /** `rows` of tensor `name` were read: all of it, or a chunk (the tensor counts as done with its last). */
    const count = (name: string, rows: readonly [number, number] | null) => {
      const e = ck.entry(name)!;
      const n = e.shape[0] ?? 1;
      this.used.add(name);
      if (!rows || rows[1] === n) {
        this.tensorsDone++;
        this.graphReads.push(name);
      }
      this.bytesDone += rows ? ((e.end - e.begin) / n) * (rows[1] - rows[0]) : e.end - e.begin;
      this.report();
    };
    this.credited = (name) => count(name, null);
    this.source = {
      has: (n) => ck.has(n),
      shape: (n) => ck.shape(n),
      names: () => ck.names(),
      get: async (name, shape) => {
        await this.store?.prepareNext();
        const t = await ck.get(name, shape);
        count(name, null);
        return t;
      },
      getRows: async (name, begin, end) => {
        await this.store?.prepareNext();
        const t = await ck.getRows(name, begin, end);
        count(name, [begin, end]);
        return t;
      },
    };
  }

  /** The graph `stage` begins: said at once, so that a first read that waits (a slow or lost network) shows where. */
  enter(stage: string): void {
    this.stage = stage;
    this.report();
  }

  /** A graph kept from an earlier run: its tensors count as read. */
  credit(names: readonly string[]): void {
    for (const n of names) this.credited(n);
    this.graphReads = [];
  }

  takeGraphReads(): string[] {
    const r = this.graphReads;
    this.graphReads = [];
    return r;
  }
}

type Json = Record<string, unknown>;

/**
 * The file's JSON object ({} when absent), its key reads recorded in `reads`. The recording proxy is made
 * after the await: a promise resolved with it would probe its `then`.
 */
async function optionalJson(src: CheckpointFiles, file: string, reads: Map<string, ConfigReads>): Promise<{ json: Json }> {
  const r = new ConfigReads();
  reads.set(file, r);
  if (!src.has(file)) return { json: r.wrap({}) };
  try {
    const v = JSON.parse(await src.text(file));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return { json: r.wrap(v as Json) };
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
async function readImageProcessing(dir: CheckpointFiles, config: Fo1Config, reads: Map<string, ConfigReads>): Promise<ImageProcessing> {
  const f = 'preprocessor_config.json';
  const p = (await optionalJson(dir, f, reads)).json;
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

async function readTokenIds(dir: CheckpointFiles, config: Fo1Config, tokenizer: CheckpointTokenizer, reads: Map<string, ConfigReads>): Promise<TokenIds> {
  const gen = (await optionalJson(dir, 'generation_config.json', reads)).json;
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
