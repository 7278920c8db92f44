// Browser side of webgpu-attention.spec.ts, bundled by the spec and run in its page: the engine's own
// pieces — the backend choice (session.ts), the attention self-check (decode/attention-check.ts), the
// decoder session with its presents on the GPU, the share-buffer KV store (decode/gpu-kv-store.ts) and
// the chunked decoder run (decode/decoder-run.ts) — on this browser's WebGPU adapter.
import { checkAttention } from '../src/engine/decode/attention-check.ts';
import { runDecoder } from '../src/engine/decode/decoder-run.ts';
import { GpuKvStore } from '../src/engine/decode/gpu-kv-store.ts';
import { KvCache } from '../src/engine/decode/kv-cache.ts';
import { chooseBackend, createSession, type Ort } from '../src/engine/session.ts';

/** What the spec sends: the golden decoder's geometry and inputs (positions as (3, S + 1): the prompt, then one step). */
export interface AttentionPageInput {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  numLayers: number;
  hiddenSize: number;
  prompt: number[]; // (S, H)
  next: number[]; // (1, H): the first greedy token
  positions: number[]; // (3, S + 1)
}

export interface AttentionPageResult {
  adapter: { vendor: string; architecture: string; subgroupMinSize: number | null; subgroupMaxSize: number | null };
  reason: string;
  /** checkAttention's maxRun, as text ('Infinity' / 'null' do not survive JSON as numbers). */
  maxRun: string;
  failures: string;
  decoderBackend: string;
  /** Last prompt logits with prefill chunked to the checked length, then the next step's logits. */
  chunked: number[];
  chunkedStep: number[];
  /** Last prompt logits from one run of the whole prompt. */
  whole: number[];
}

export async function runAttentionPage(ort: Ort, graph: Uint8Array, input: AttentionPageInput): Promise<AttentionPageResult> {
  const adapter = (await navigator.gpu.requestAdapter())!;
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const choice = await chooseBackend('webgpu');
  const check = await checkAttention(ort, 'webgpu', input);
  const { session, report } = await createSession(ort, {
    name: 'decoder_model_merged',
    bytes: { graph, externalData: [] },
    choice,
    gpuOutputs: KvCache.presentNames(input.numLayers),
  });
  const device = await ort.env.webgpu.device;
  const shape = { layers: input.numLayers, kvHeads: input.numKvHeads, headDim: input.headDim };
  const S = input.prompt.length / input.hiddenSize;
  const columns = (from: number, to: number) => Int32Array.from([0, 1, 2].flatMap((axis) => input.positions.slice(axis * (S + 1) + from, axis * (S + 1) + to)));
  const prompt = Float32Array.from(input.prompt);
  const decoder = (maxRun: number) => ({ ort, session, hiddenSize: input.hiddenSize, maxRun });

  const chunkedMaxRun = check.maxRun ?? 1;
  const chunked = await runDecoder(decoder(chunkedMaxRun), prompt, columns(0, S), KvCache.empty(new GpuKvStore(ort, device, shape)));
  const step = await runDecoder(decoder(chunkedMaxRun), Float32Array.from(input.next), columns(S, S + 1), chunked.cache);
  chunked.cache.dispose();
  step.cache.dispose();
  const whole = await runDecoder(decoder(Infinity), prompt, columns(0, S), KvCache.empty(new GpuKvStore(ort, device, shape)));
  whole.cache.dispose();
  await session.release();
  return {
    adapter: { vendor: info.vendor, architecture: info.architecture, subgroupMinSize: info.subgroupMinSize ?? null, subgroupMaxSize: info.subgroupMaxSize ?? null },
    reason: choice.reason,
    maxRun: String(check.maxRun),
    failures: check.failures,
    decoderBackend: report.backend,
    chunked: Array.from(chunked.logits),
    chunkedStep: Array.from(step.logits),
    whole: Array.from(whole.logits),
  };
}
