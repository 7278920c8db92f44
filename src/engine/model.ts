// The six graphs of a model folder as one object, each forward pass (docs/model.md "Data flow") as one method:
//   encodeImage   vision_semantic (Qwen ViT + merger + mm_projector) and vision_perception (DaViT)
//   encodeRegions region_pyramid (HFRE's SimpleFP; once per image, kept in ImageFeatures) then
//                 region_encoder (HFRE pooling + mm_projector_aux), fed the RoIAlign-mean weights of the boxes
//   embedText     embed_tokens
//   decode        decoder_model_merged: inputs_embeds + M-RoPE position ids + KV cache → last logits
// Sessions are created here (one per graph, backend per session.ts; on wasm, when asked, the encoders' int4
// Linears become int8 first, encoders/int8-linears.ts), each checked against its I/O contract (src/model-folder/graph-io.ts);
// nothing here knows about prompts.
// The decoder is created by decode/create-decoder.ts: onnxruntime's session (with its WebGPU attention
// self-check, decode/ort-decoder.ts) or, on wasm, the engine's own int4 kernels.
import { COMPONENTS, type ComponentName, type ModelManifest } from '../model-folder/manifest.ts';
import { checkGraphNames, componentIO, DAVIT_STAGES, davitStageName, PYRAMID_LEVELS, pyramidLevelName, regionStageName, TENSOR } from '../model-folder/graph-io.ts';
import type { LoadProgress, SessionBackend } from './api.ts';
import { int8Linears } from './encoders/int8-linears.ts';
import { vitLayout, type LayoutTensor } from './encoders/vit-layout.ts';
import type { PreparedImage } from './preprocess/prepare.ts';
import type { BoxFrames } from './preprocess/boxes.ts';
import { regionEncoderFeeds } from './regions/region-feeds.ts';
import type { KvCache } from './decode/kv-cache.ts';
import { createDecoder } from './decode/create-decoder.ts';
import type { DecodeResult, Decoder, LogitsWanted } from './decode/decoder-run.ts';
import { createSession, runSession, type BackendChoice, type GraphBytes, type Ort, type OrtSession, type OrtTensor } from './session.ts';

export type { DecodeResult } from './decode/decoder-run.ts';

/** The graphs run as onnxruntime sessions here (the decoder is a Decoder). */
type EncoderName = Exclude<ComponentName, 'decoder_model_merged'>;

/** What the vision graphs produce for one image; reused by every question about it. */
export interface ImageFeatures {
  /** (N, hidden) merged, projected ViT tokens: the image slots' embeddings. */
  imageEmbeds: Float32Array;
  /** (1, Cv, gh, gw) ViT block-31 map, raster order (region encoder input). */
  vtMap: OrtTensor;
  /** DaViT stage maps (1, C_l, H_l, W_l), l = 0..3. */
  davitStages: OrtTensor[];
  /** The ViT patch grid [gh, gw]. */
  grid: [number, number];
  /**
   * region_pyramid's SimpleFP levels of vtMap (1, out, h_l, w_l), l = 0..3: box-independent, so the first
   * encodeRegions on these features computes them and every later box set reuses them; null until then
   * (a question without boxes never needs them).
   */
  pyramid: OrtTensor[] | null;
}

export class Fo1Model {
  private constructor(
    private readonly ort: Ort,
    readonly manifest: ModelManifest,
    private readonly sessions: Record<EncoderName, OrtSession>,
    readonly backends: SessionBackend[],
    /** onnxruntime's decoder session, or the int4 kernels on wasm (decode/create-decoder.ts). */
    private readonly decoder: Decoder,
    /** Bytes of the encoder graphs and their weights: on wasm they share onnxruntime's heap with every activation. */
    readonly encoderGraphBytes: number,
  ) {}

  static async create(ort: Ort, manifest: ModelManifest, graphs: Record<ComponentName, GraphBytes>, choice: BackendChoice, onProgress: (p: LoadProgress) => void): Promise<Fo1Model> {
    const sessions = {} as Record<EncoderName, OrtSession>;
    const backends: SessionBackend[] = [];
    let encoderGraphBytes = 0;
    try {
      for (const name of COMPONENTS) {
        if (name === 'decoder_model_merged') continue;
        onProgress({ stage: 'compile', session: name });
        const { bytes, linears } = choice.backend === 'wasm' && choice.int8Encoders ? int8Linears(graphs[name], name) : { bytes: graphs[name], linears: 0 };
        const created = await createSession(ort, { name, bytes, choice });
        encoderGraphBytes += bytes.graph.length + bytes.externalData.reduce((n, d) => n + d.data.length, 0);
        sessions[name] = created.session;
        backends.push(linears ? { ...created.report, reason: `${created.report.reason}; its ${linears} int4 Linears run as int8 (encoders/int8-linears.ts)` } : created.report);
        // A graph from another converter would otherwise fail at its first run, with ORT's message.
        checkGraphNames(name, componentIO(name, manifest.config.text), created.session);
      }
      onProgress({ stage: 'compile', session: 'decoder_model_merged' });
      const { decoder, report } = await createDecoder(ort, manifest.config.text, graphs.decoder_model_merged, choice, onProgress);
      backends.splice(COMPONENTS.indexOf('decoder_model_merged'), 0, report);
      return new Fo1Model(ort, manifest, sessions, backends, decoder, encoderGraphBytes);
    } catch (e) {
      await Promise.all(Object.values(sessions).map((s) => s.release()));
      throw e;
    }
  }

  /** The backend the decoder runs on (what an answer reports). */
  get decoderBackend(): SessionBackend['backend'] {
    return this.backends.find((b) => b.session === 'decoder_model_merged')!.backend;
  }

  async release(): Promise<void> {
    await Promise.all([...Object.values(this.sessions).map((s) => s.release()), this.decoder.release()]);
  }

  private f32(data: Float32Array, dims: readonly number[]): OrtTensor {
    return new this.ort.Tensor('float32', data, dims);
  }

  private i64(data: BigInt64Array, dims: readonly number[]): OrtTensor {
    return new this.ort.Tensor('int64', data, dims);
  }

  private layout(t: LayoutTensor<'float32'> | LayoutTensor<'int64'>): OrtTensor {
    return t.dtype === 'float32' ? this.f32(t.data as Float32Array, t.dims) : this.i64(t.data as BigInt64Array, t.dims);
  }

  async encodeImage(prepared: PreparedImage): Promise<ImageFeatures> {
    const { vision } = this.manifest.config;
    const [, gh, gw] = prepared.qwen.gridThw;
    const layout = vitLayout(vision, gh, gw);
    const patchDim = prepared.qwen.pixelValues.length / (gh * gw);
    const semanticFeeds: Record<string, OrtTensor> = { [TENSOR.pixelValues]: this.f32(prepared.qwen.pixelValues, [gh * gw, patchDim]) };
    for (const [name, t] of Object.entries(layout.feeds)) semanticFeeds[name] = this.layout(t);
    const semantic = await runSession('vision_semantic', this.sessions.vision_semantic, semanticFeeds);
    const { davit } = prepared;
    const perception = await runSession('vision_perception', this.sessions.vision_perception, {
      [TENSOR.pixelValues]: this.f32(davit.pixelValues, [1, 3, davit.height, davit.width]),
    });
    return {
      imageEmbeds: (await semantic[TENSOR.imageEmbeds].getData()) as Float32Array,
      vtMap: semantic[TENSOR.vtMap],
      davitStages: Array.from({ length: DAVIT_STAGES }, (_, l) => perception[davitStageName(l)]),
      grid: [gh, gw],
      pyramid: null,
    };
  }

  /** (K, hidden) one LLM embedding per box, in box order; K ≥ 1. Runs region_pyramid the first time for these features. */
  async encodeRegions(features: ImageFeatures, boxes: BoxFrames): Promise<Float32Array> {
    const { region, vision } = this.manifest.config;
    const pyramid = features.pyramid ?? (features.pyramid = await this.regionPyramid(features.vtMap));
    const geo = { auxLevels: features.davitStages.map((s) => [s.dims[2], s.dims[3]] as [number, number]), vtGrid: features.grid, patchSize: vision.patchSize };
    const feeds: Record<string, OrtTensor> = {};
    pyramid.forEach((p, l) => (feeds[pyramidLevelName(l)] = p));
    features.davitStages.forEach((s, l) => (feeds[regionStageName(l)] = s));
    for (const [name, t] of Object.entries(regionEncoderFeeds(boxes.aux, boxes.vt, geo, region))) feeds[name] = this.f32(t.data, t.dims);
    const out = await runSession('region_encoder', this.sessions.region_encoder, feeds);
    return (await out[TENSOR.regionEmbeds].getData()) as Float32Array;
  }

  /** region_pyramid: the four SimpleFP levels of the ViT map (1, Cv, gh, gw). */
  private async regionPyramid(vtMap: OrtTensor): Promise<OrtTensor[]> {
    const out = await runSession('region_pyramid', this.sessions.region_pyramid, { [TENSOR.vtMap]: vtMap });
    return Array.from({ length: PYRAMID_LEVELS }, (_, l) => out[pyramidLevelName(l)]);
  }

  /** (S, hidden) token embeddings; `ids` must hold real token ids only. */
  async embedText(ids: ArrayLike<number>): Promise<Float32Array> {
    const data = BigInt64Array.from(Array.from(ids, (v) => BigInt(v)));
    const out = await runSession('embed_tokens', this.sessions.embed_tokens, { [TENSOR.inputIds]: this.i64(data, [1, ids.length]) });
    return (await out[TENSOR.inputsEmbeds].getData()) as Float32Array;
  }

  /** Positions prompt + answer may take: the decoder's KV capacity or the model's context length, the smaller. */
  get contextTokens(): number {
    return Math.min(this.decoder.capacity, this.manifest.config.text.contextLength ?? Infinity);
  }

  /** An empty cache for a new sequence: its own store, so it never disturbs another cache. */
  emptyCache(): KvCache {
    return this.decoder.emptyCache();
  }

  /**
   * Runs S new positions after `cache` (still usable afterwards: the caller decides when to dispose it; on
   * WebGPU the result shares its memory, so longer caches of the same sequence become stale).
   * `embeds` (S, hidden); `positions` (3, S) M-RoPE ids. Returns the last position's logits (none for 'none').
   */
  decode(embeds: Float32Array, positions: Int32Array, cache: KvCache, logits?: LogitsWanted): Promise<DecodeResult> {
    return this.decoder.decode(embeds, positions, cache, logits);
  }
}
