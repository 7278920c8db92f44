// decoder_model_merged as an onnxruntime-web session (decoder-run.ts feeds it): on WebGPU with the KV cache
// in GPU buffers (gpu-kv-store.ts) after a long-run attention self-check (attention-check.ts); on wasm with
// fresh present tensors each run (kv-cache.ts FreshKvStore).
import type { TextConfig } from '../../model-folder/config.ts';
import { checkGraphNames, decoderIO } from '../../model-folder/graph-io.ts';
import type { LoadProgress, SessionBackend } from '../api.ts';
import { createSession, errorText, type BackendChoice, type GraphBytes, type Ort, type OrtSession } from '../session.ts';
import { checkAttention, type AttentionCheck } from './attention-check.ts';
import { runDecoder, type DecodeResult, type Decoder, type LogitsWanted } from './decoder-run.ts';
import { GpuKvStore } from './gpu-kv-store.ts';
import { FreshKvStore, KvCache, type KvStore } from './kv-cache.ts';

const NAME = 'decoder_model_merged';

export class OrtDecoder implements Decoder {
  /** Its KV cache grows on demand (gpu-kv-store.ts, or ORT's own presents): only the model's context length bounds it. */
  readonly capacity = Infinity;

  private constructor(
    private readonly ort: Ort,
    private readonly cfg: TextConfig,
    private readonly session: OrtSession,
    /** ORT's GPUDevice when the decoder runs on WebGPU: its KV cache lives there. */
    private readonly kvDevice: GPUDevice | null,
    /** Most positions one run may hold (Infinity: no limit); longer prefills run in chunks. */
    private readonly maxRun: number,
  ) {}

  /** The session on `choice`'s backend (wasm if WebGPU cannot build it); `report` says where and why. */
  static async create(ort: Ort, cfg: TextConfig, graph: GraphBytes, choice: BackendChoice, onProgress: (p: LoadProgress) => void): Promise<{ decoder: OrtDecoder; report: SessionBackend }> {
    const created = await createSession(ort, { name: NAME, bytes: graph, choice, gpuOutputs: KvCache.presentNames(cfg.numLayers) });
    const report = created.report;
    let session = created.session;
    let maxRun = Infinity;
    try {
      checkGraphNames(NAME, decoderIO(cfg), session);
      const guarded = await guardAttention(ort, session, report, graph, cfg, onProgress);
      ({ session, maxRun } = guarded);
    } catch (e) {
      await session.release();
      throw e;
    }
    // ORT-web sets env.webgpu.device when its first WebGPU session is created.
    const device = report.backend === 'webgpu' ? await ort.env.webgpu.device : null;
    return { decoder: new OrtDecoder(ort, cfg, session, device, maxRun), report };
  }

  decode(embeds: Float32Array, positions: Int32Array, cache: KvCache, logits?: LogitsWanted): Promise<DecodeResult> {
    return runDecoder({ ort: this.ort, session: this.session, hiddenSize: this.cfg.hiddenSize, maxRun: this.maxRun }, embeds, positions, cache, logits);
  }

  emptyCache(): KvCache {
    const t = this.cfg;
    const type = this.kvType();
    const store: KvStore = this.kvDevice
      ? new GpuKvStore(this.ort, this.kvDevice, { layers: t.numLayers, kvHeads: t.numKvHeads, headDim: t.headDim }, undefined, type)
      : FreshKvStore.empty(t.numLayers, () => new this.ort.Tensor(type, type === 'float16' ? new Uint16Array(0) : new Float32Array(0), [1, t.numKvHeads, 0, t.headDim]));
    return KvCache.empty(store);
  }

  release(): Promise<void> {
    return this.session.release();
  }

  /** The KV cache's element type as the graph declares it: float16 in the fp16/q4f16 graphs. */
  private kvType(): 'float32' | 'float16' {
    const meta = this.session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
    const type = meta?.isTensor ? meta.type : undefined;
    if (type !== 'float32' && type !== 'float16') throw new Error(`${NAME}: past_key_values.0.key is ${type ?? 'missing'}, expected a float32 or float16 tensor`);
    return type;
  }
}

/**
 * When the decoder runs on WebGPU, checks long-run attention there (attention-check.ts) and returns the
 * longest run to allow, recording the outcome in the backend reason. If no run length is right on the
 * adapter, the session is rebuilt on wasm.
 */
async function guardAttention(ort: Ort, session: OrtSession, report: SessionBackend, graph: GraphBytes, cfg: TextConfig, onProgress: (p: LoadProgress) => void): Promise<{ session: OrtSession; maxRun: number }> {
  if (report.backend !== 'webgpu') return { session, maxRun: Infinity };
  onProgress({ stage: 'compile', session: 'attention self-check' });
  let check: AttentionCheck;
  try {
    check = await checkAttention(ort, 'webgpu', cfg);
  } catch (e) {
    // The check's own session failing is not a verdict on the decoder, which did build on WebGPU.
    report.reason += `; attention self-check could not run (${errorText(e)})`;
    return { session, maxRun: Infinity };
  }
  if (check.maxRun === Infinity) {
    report.reason += '; long-run attention passed the self-check';
    return { session, maxRun: Infinity };
  }
  if (check.maxRun !== null) {
    report.reason += `; prefill chunked to ${check.maxRun} tokens: long-run attention failed the self-check (${check.failures})`;
    return { session, maxRun: check.maxRun };
  }
  await session.release();
  const created = await createSession(ort, { name: NAME, bytes: graph, choice: { backend: 'wasm', reason: `${report.reason}; attention failed the self-check at every run length (${check.failures}), so the decoder runs on wasm` } });
  Object.assign(report, created.report);
  return { session: created.session, maxRun: Infinity };
}
