// The five graphs of a model folder as one object, each forward pass of spec §8 step 5 as one method:
//   encodeImage   vision_semantic (Qwen ViT + merger + mm_projector) and vision_perception (DaViT)
//   encodeRegions region_encoder (HFRE + mm_projector_aux), fed the RoIAlign-mean weights of the boxes
//   embedText     embed_tokens
//   decode        decoder_model_merged: inputs_embeds + M-RoPE position ids + KV cache → last logits
// Sessions are created here (one per graph, backend per session.ts); nothing here knows about prompts.
import { COMPONENTS, type ComponentName, type ModelManifest } from '../model-folder/manifest.ts';
import type { LoadProgress, SessionBackend } from '../protocol/messages.ts';
import { vitLayout, type LayoutTensor } from './encoders/vit-layout.ts';
import type { PreparedImage } from './preprocess/prepare.ts';
import type { BoxFrames } from './preprocess/boxes.ts';
import { regionEncoderFeeds } from './regions/region-feeds.ts';
import { FreshKvStore, KvCache, type KvStore } from './decode/kv-cache.ts';
import { GpuKvStore } from './decode/gpu-kv-store.ts';
import { createSession, runSession, type BackendChoice, type GraphBytes, type Ort, type OrtSession, type OrtTensor } from './session.ts';

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
}

/** The logits of the last position and the cache extended by the positions just run. */
export interface DecodeResult {
  logits: Float32Array; // (V,)
  cache: KvCache;
}

export class Fo1Model {
  private constructor(
    private readonly ort: Ort,
    readonly manifest: ModelManifest,
    private readonly sessions: Record<ComponentName, OrtSession>,
    readonly backends: SessionBackend[],
    /** ORT's GPUDevice when the decoder runs on WebGPU: its KV cache lives there (decode/gpu-kv-store.ts). */
    private readonly kvDevice: GPUDevice | null,
  ) {}

  static async create(ort: Ort, manifest: ModelManifest, graphs: Record<ComponentName, GraphBytes>, choice: BackendChoice, onProgress: (p: LoadProgress) => void): Promise<Fo1Model> {
    const sessions = {} as Record<ComponentName, OrtSession>;
    const backends: SessionBackend[] = [];
    const kvOutputs = KvCache.presentNames(manifest.config.text.numLayers);
    try {
      for (const name of COMPONENTS) {
        onProgress({ stage: 'compile', session: name });
        const created = await createSession(ort, { name, bytes: graphs[name], choice, gpuOutputs: name === 'decoder_model_merged' ? kvOutputs : [] });
        sessions[name] = created.session;
        backends.push(created.report);
      }
    } catch (e) {
      await Promise.all(Object.values(sessions).map((s) => s.release()));
      throw e;
    }
    const onGpu = backends.find((b) => b.session === 'decoder_model_merged')?.backend === 'webgpu';
    // ORT-web sets env.webgpu.device when its first WebGPU session is created.
    return new Fo1Model(ort, manifest, sessions, backends, onGpu ? await ort.env.webgpu.device : null);
  }

  /** The backend the decoder runs on (what an answer reports). */
  get decoderBackend(): SessionBackend['backend'] {
    return this.backends.find((b) => b.session === 'decoder_model_merged')!.backend;
  }

  async release(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
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
    const semanticFeeds: Record<string, OrtTensor> = { pixel_values: this.f32(prepared.qwen.pixelValues, [gh * gw, patchDim]) };
    for (const [name, t] of Object.entries(layout.feeds)) semanticFeeds[name] = this.layout(t);
    const semantic = await runSession('vision_semantic', this.sessions.vision_semantic, semanticFeeds);
    const { davit } = prepared;
    const perception = await runSession('vision_perception', this.sessions.vision_perception, {
      pixel_values: this.f32(davit.pixelValues, [1, 3, davit.height, davit.width]),
    });
    return {
      imageEmbeds: (await semantic.image_embeds.getData()) as Float32Array,
      vtMap: semantic.vt_map,
      davitStages: [0, 1, 2, 3].map((l) => perception[`stage${l}`]),
      grid: [gh, gw],
    };
  }

  /** (K, hidden) one LLM embedding per box, in box order; K ≥ 1. */
  async encodeRegions(features: ImageFeatures, boxes: BoxFrames): Promise<Float32Array> {
    const { region, vision } = this.manifest.config;
    const geo = { auxLevels: features.davitStages.map((s) => [s.dims[2], s.dims[3]] as [number, number]), vtGrid: features.grid, patchSize: vision.patchSize };
    const feeds: Record<string, OrtTensor> = { vt_map: features.vtMap };
    features.davitStages.forEach((s, l) => (feeds[`davit_stage${l}`] = s));
    for (const [name, t] of Object.entries(regionEncoderFeeds(boxes.aux, boxes.vt, geo, region))) feeds[name] = this.f32(t.data, t.dims);
    const out = await runSession('region_encoder', this.sessions.region_encoder, feeds);
    return (await out.region_embeds.getData()) as Float32Array;
  }

  /** (S, hidden) token embeddings; `ids` must hold real token ids only. */
  async embedText(ids: ArrayLike<number>): Promise<Float32Array> {
    const data = BigInt64Array.from(Array.from(ids, (v) => BigInt(v)));
    const out = await runSession('embed_tokens', this.sessions.embed_tokens, { input_ids: this.i64(data, [1, ids.length]) });
    return (await out.inputs_embeds.getData()) as Float32Array;
  }

  /** An empty cache for a new sequence: its own store, so it never disturbs another cache. */
  emptyCache(): KvCache {
    const t = this.manifest.config.text;
    const store: KvStore = this.kvDevice
      ? new GpuKvStore(this.ort, this.kvDevice, { layers: t.numLayers, kvHeads: t.numKvHeads, headDim: t.headDim })
      : FreshKvStore.empty(t.numLayers, () => this.f32(new Float32Array(0), [1, t.numKvHeads, 0, t.headDim]));
    return KvCache.empty(store);
  }

  /**
   * Runs S new positions after `cache` (still usable afterwards: the caller decides when to dispose it; on
   * WebGPU the result shares its memory, so longer caches of the same sequence become stale).
   * `embeds` (S, hidden); `positions` (3, S) M-RoPE ids. Returns the last position's logits.
   */
  async decode(embeds: Float32Array, positions: Int32Array, cache: KvCache): Promise<DecodeResult> {
    const H = this.manifest.config.text.hiddenSize;
    const S = embeds.length / H;
    if (positions.length !== 3 * S) throw new Error(`decode: ${positions.length} position ids for ${S} positions (expected 3 × ${S})`);
    const total = cache.length + S;
    const kv = cache.prepare(S);
    const feeds: Record<string, OrtTensor> = {
      inputs_embeds: this.f32(embeds, [1, S, H]),
      // The valid length, also in share-buffer mode where the past buffers are longer (GQA's seqlens_k).
      attention_mask: this.i64(new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: this.i64(BigInt64Array.from(positions, (p) => BigInt(p)), [3, 1, S]),
      num_logits_to_keep: this.i64(BigInt64Array.of(1n), []),
      ...kv.feeds,
    };
    const fetches = kv.fetches && { logits: null, ...kv.fetches };
    const out = await runSession('decoder_model_merged', this.sessions.decoder_model_merged, feeds, fetches);
    const logits = (await out.logits.getData()) as Float32Array;
    out.logits.dispose();
    return { logits, cache: cache.extendedBy(out, S) };
  }
}
