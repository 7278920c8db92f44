// One pass of decoder_model_merged over S new positions (the prefill, and each generation step),
// fed as src/model-folder/graph-io.ts decoderIO declares: inputs_embeds (1, S, H), attention_mask (1, T) of the valid
// length, position_ids (3, 1, S) M-RoPE ids, num_logits_to_keep, and the KV cache's past/present.
//
// A backend may limit how many new positions one run may hold (attention-check.ts finds that limit on
// WebGPU): longer inputs are then run as consecutive chunks, each extending the cache the previous one
// produced. Attention is causal and chunks run in order, so every position sees exactly the keys it would
// have seen in one run: chunking changes the schedule, not the logits (decoder-run.test.ts checks this).
// Only the last chunk's logits are used, so the others ask for none (NO_LOGITS): lm_head is a V × H product
// that on a software adapter (SwiftShader) takes seconds per run even for one row.
import { NO_LOGITS, TENSOR } from '../../model-folder/graph-io.ts';
import type { Ort, OrtSession, OrtTensor } from '../session.ts';
import { runSession } from '../session.ts';
import type { KvCache } from './kv-cache.ts';

/** The logits of the last position (empty when the run asked for none) and the cache extended by the positions just run. */
export interface DecodeResult {
  logits: Float32Array; // (V,) or (0,)
  cache: KvCache;
}

/**
 * Which logits a run returns: the last position's, or none — a prompt prefix that is only cached
 * (conversation.ts) never reads them, and lm_head is a V × H product (151936 × 2048 at 3B size).
 */
export type LogitsWanted = 'last' | 'none';

/**
 * A decoder as the model runs it: onnxruntime's session (ort-decoder.ts) or, on wasm, the engine's own int4
 * kernels (int4/int4-decoder.ts). `decode` runs S new positions after `cache` (which stays usable: the caller
 * disposes it) — embeds (S, H), positions (3, S) M-RoPE ids — and returns the last position's logits.
 */
export interface Decoder {
  decode(embeds: Float32Array, positions: Int32Array, cache: KvCache, logits?: LogitsWanted): Promise<DecodeResult>;
  /** An empty cache for a new sequence: its own store, so it never disturbs another cache. */
  emptyCache(): KvCache;
  /** Positions one cache can hold (the int4 kernels' fixed KV buffers); Infinity when it grows as needed. */
  readonly capacity: number;
  release(): Promise<void> | void;
}

/** The decoder session and what feeding it needs. */
export interface DecoderSession {
  ort: Ort;
  session: OrtSession;
  /** The text hidden size H. */
  hiddenSize: number;
  /** Most new positions one run may hold (Infinity: no limit). */
  maxRun: number;
}

/**
 * Runs S new positions after `cache` in runs of at most `maxRun` positions. `embeds` (S, H); `positions`
 * (3, S). Returns the last position's logits and the cache S longer. The caller's `cache` stays usable (the
 * caller disposes it); the caches between chunks are disposed here.
 */
export async function runDecoder(d: DecoderSession, embeds: Float32Array, positions: Int32Array, cache: KvCache, logits: LogitsWanted = 'last'): Promise<DecodeResult> {
  const S = positions.length / 3;
  if (!Number.isInteger(S) || S < 1) throw new Error(`decode: ${positions.length} position ids is not 3 × a positive count`);
  if (embeds.length !== S * d.hiddenSize) throw new Error(`decode: ${embeds.length} embedding values for ${S} positions (expected ${S} × ${d.hiddenSize})`);
  if (!(d.maxRun >= 1)) throw new RangeError(`decode: the longest run must be at least 1 position (got ${d.maxRun})`);
  let current = cache;
  try {
    let result: DecodeResult | null = null;
    for (let from = 0; from < S; from += d.maxRun) {
      const to = Math.min(S, from + d.maxRun);
      result = await runOnce(d, embeds.subarray(from * d.hiddenSize, to * d.hiddenSize), positionColumns(positions, S, from, to), current, to === S && logits === 'last' ? 1 : NO_LOGITS);
      if (current !== cache) current.dispose();
      current = result.cache;
    }
    return result!;
  } catch (e) {
    if (current !== cache) current.dispose();
    throw e;
  }
}

/** Columns [from, to) of (3, S) position ids, as (3, to − from). */
export function positionColumns(positions: Int32Array, S: number, from: number, to: number): Int32Array {
  if (from === 0 && to === S) return positions;
  const n = to - from;
  const out = new Int32Array(3 * n);
  for (let axis = 0; axis < 3; axis++) out.set(positions.subarray(axis * S + from, axis * S + to), axis * n);
  return out;
}

/** One decoder run of all of `embeds` (S, H) after `cache`; the last position's logits when keepLogits is 1, empty for NO_LOGITS. */
async function runOnce(d: DecoderSession, embeds: Float32Array, positions: Int32Array, cache: KvCache, keepLogits: 1 | typeof NO_LOGITS): Promise<DecodeResult> {
  const { ort, hiddenSize: H } = d;
  const S = embeds.length / H;
  const total = cache.length + S;
  const kv = cache.prepare(S);
  const feeds: Record<string, OrtTensor> = {
    [TENSOR.inputsEmbeds]: new ort.Tensor('float32', embeds, [1, S, H]),
    // The valid length, also in share-buffer mode where the past buffers are longer (GQA's seqlens_k).
    [TENSOR.attentionMask]: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    [TENSOR.positionIds]: new ort.Tensor('int64', BigInt64Array.from(positions, (p) => BigInt(p)), [3, 1, S]),
    [TENSOR.numLogitsToKeep]: new ort.Tensor('int64', BigInt64Array.of(BigInt(keepLogits)), []),
    ...kv.feeds,
  };
  const fetches = kv.fetches && { [TENSOR.logits]: null, ...kv.fetches };
  const out = await runSession('decoder_model_merged', d.session, feeds, fetches);
  const logits = (await out[TENSOR.logits].getData()) as Float32Array;
  out[TENSOR.logits].dispose();
  return { logits, cache: cache.extendedBy(out, S) };
}
