// The six graphs of a model folder as one object, each forward pass of spec §8 step 5 as one method:
//   encodeImage   vision_semantic (Qwen ViT + merger + mm_projector) and vision_perception (DaViT)
//   encodeRegions region_pyramid (HFRE's SimpleFP; once per image, kept in ImageFeatures) then
//                 region_encoder (HFRE pooling + mm_projector_aux), fed the RoIAlign-mean weights of the boxes
//   embedText     embed_tokens
//   decode        decoder_model_merged: inputs_embeds + M-RoPE position ids + KV cache → last logits
// Sessions are created here (one per graph, backend per session.ts); nothing here knows about prompts.
// When the decoder runs on WebGPU, loading also checks long-run attention on that adapter
// (decode/attention-check.ts) and limits how many positions one decoder run may hold if it must.
import { COMPONENTS, type ComponentName, type ModelManifest } from '../model-folder/manifest.ts';
import type { LoadProgress, SessionBackend } from '../protocol/messages.ts';
import { vitLayout, type LayoutTensor } from './encoders/vit-layout.ts';
import type { PreparedImage } from './preprocess/prepare.ts';
import type { BoxFrames } from './preprocess/boxes.ts';
import { regionEncoderFeeds } from './regions/region-feeds.ts';
import { PYRAMID_LEVELS, pyramidLevelName } from '../../converter/emit/region-pyramid.ts';
import { FreshKvStore, KvCache, type KvStore } from './decode/kv-cache.ts';
import { GpuKvStore } from './decode/gpu-kv-store.ts';
import { checkAttention, type AttentionCheck, type AttentionGeometry } from './decode/attention-check.ts';
import { runDecoder, type DecodeResult } from './decode/decoder-run.ts';
import { createSession, errorText, runSession, type BackendChoice, type GraphBytes, type Ort, type OrtSession, type OrtTensor } from './session.ts';

export type { DecodeResult } from './decode/decoder-run.ts';

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
    private readonly sessions: Record<ComponentName, OrtSession>,
    readonly backends: SessionBackend[],
    /** ORT's GPUDevice when the decoder runs on WebGPU: its KV cache lives there (decode/gpu-kv-store.ts). */
    private readonly kvDevice: GPUDevice | null,
    /** Most positions one decoder run may hold (Infinity: no limit); longer prefills run in chunks. */
    readonly maxRun: number,
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
    let maxRun = Infinity;
    try {
      maxRun = await guardAttention(ort, sessions, backends, graphs.decoder_model_merged, manifest.config.text, onProgress);
    } catch (e) {
      await Promise.all(Object.values(sessions).map((s) => s.release()));
      throw e;
    }
    const onGpu = backends.find((b) => b.session === 'decoder_model_merged')?.backend === 'webgpu';
    // ORT-web sets env.webgpu.device when its first WebGPU session is created.
    return new Fo1Model(ort, manifest, sessions, backends, onGpu ? await ort.env.webgpu.device : null, maxRun);
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
    features.davitStages.forEach((s, l) => (feeds[`davit_stage${l}`] = s));
    for (const [name, t] of Object.entries(regionEncoderFeeds(boxes.aux, boxes.vt, geo, region))) feeds[name] = this.f32(t.data, t.dims);
    const out = await runSession('region_encoder', this.sessions.region_encoder, feeds);
    return (await out.region_embeds.getData()) as Float32Array;
  }

  /** region_pyramid: the four SimpleFP levels of the ViT map (1, Cv, gh, gw). */
  private async regionPyramid(vtMap: OrtTensor): Promise<OrtTensor[]> {
    const out = await runSession('region_pyramid', this.sessions.region_pyramid, { vt_map: vtMap });
    return Array.from({ length: PYRAMID_LEVELS }, (_, l) => out[pyramidLevelName(l)]);
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
    const type = this.kvType();
    const store: KvStore = this.kvDevice
      ? new GpuKvStore(this.ort, this.kvDevice, { layers: t.numLayers, kvHeads: t.numKvHeads, headDim: t.headDim }, undefined, type)
      : FreshKvStore.empty(t.numLayers, () => new this.ort.Tensor(type, type === 'float16' ? new Uint16Array(0) : new Float32Array(0), [1, t.numKvHeads, 0, t.headDim]));
    return KvCache.empty(store);
  }

  /** The KV cache's element type as the decoder graph declares it: float16 in the fp16/q4f16 graphs. */
  private kvType(): 'float32' | 'float16' {
    const meta = this.sessions.decoder_model_merged.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
    const type = meta?.isTensor ? meta.type : undefined;
    if (type !== 'float32' && type !== 'float16') throw new Error(`decoder_model_merged: past_key_values.0.key is ${type ?? 'missing'}, expected a float32 or float16 tensor`);
    return type;
  }

  /**
   * Runs S new positions after `cache` (still usable afterwards: the caller decides when to dispose it; on
   * WebGPU the result shares its memory, so longer caches of the same sequence become stale).
   * `embeds` (S, hidden); `positions` (3, S) M-RoPE ids. Returns the last position's logits.
   */
  decode(embeds: Float32Array, positions: Int32Array, cache: KvCache): Promise<DecodeResult> {
    const decoder = { ort: this.ort, session: this.sessions.decoder_model_merged, hiddenSize: this.manifest.config.text.hiddenSize, maxRun: this.maxRun };
    return runDecoder(decoder, embeds, positions, cache);
  }
}

/**
 * When the decoder runs on WebGPU, checks long-run attention there (decode/attention-check.ts) and returns
 * the longest decoder run to allow, recording the outcome in the decoder's backend reason. If no run length
 * is right on the adapter, the decoder session is rebuilt on wasm.
 */
async function guardAttention(ort: Ort, sessions: Record<ComponentName, OrtSession>, backends: SessionBackend[], graph: GraphBytes, geom: AttentionGeometry, onProgress: (p: LoadProgress) => void): Promise<number> {
  const name: ComponentName = 'decoder_model_merged';
  const report = backends.find((b) => b.session === name)!;
  if (report.backend !== 'webgpu') return Infinity;
  onProgress({ stage: 'compile', session: 'attention self-check' });
  let check: AttentionCheck;
  try {
    check = await checkAttention(ort, 'webgpu', geom);
  } catch (e) {
    // The check's own session failing is not a verdict on the decoder, which did build on WebGPU.
    report.reason += `; attention self-check could not run (${errorText(e)})`;
    return Infinity;
  }
  if (check.maxRun === Infinity) {
    report.reason += '; long-run attention passed the self-check';
    return Infinity;
  }
  if (check.maxRun !== null) {
    report.reason += `; prefill chunked to ${check.maxRun} tokens: long-run attention failed the self-check (${check.failures})`;
    return check.maxRun;
  }
  await sessions[name].release();
  const created = await createSession(ort, { name, bytes: graph, choice: { backend: 'wasm', reason: `${report.reason}; attention failed the self-check at every run length (${check.failures}), so the decoder runs on wasm` } });
  sessions[name] = created.session;
  Object.assign(report, created.report);
  return Infinity;
}
