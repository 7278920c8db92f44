// The load-time self-check of long-run attention on a WebGPU adapter (answers must be right on every
// adapter). One com.microsoft GroupQueryAttention node with the decoder's head geometry runs
// on the adapter and is compared with float32 attention computed in JS (expectedAttention).
//
// Why: onnxruntime-web's WebGPU GQA (contrib_ops/webgpu/bert/flash_attention.cc, ApplyFlashAttention) sends
// runs of fewer than 32 new tokens through its split-reduce kernels and runs of 32 or more through the
// one-kernel flash prefill (FlashAttentionProgram, flash_attention.wgsl.template). Unless the vendor is Apple
// or NVIDIA, or the adapter lacks `subgroups`, that kernel shares K/V columns across a subgroup with
// subgroupShuffle and assumes at least 8 lanes: it scores 8 (or 16) keys per step while stepping by
// min(sg_size, 16). On an adapter with 4-lane subgroups (SwiftShader: subgroupMinSize = subgroupMaxSize = 4)
// lanes 4–7 do not exist, each step mixes in keys it should not and the output is wrong (relative error
// 0.3–1.4 measured, with or without past), while every run of ≤ 31 tokens is exact. Newer ORT sources gate
// that kernel on the adapter's minimum subgroup size; this build does not.
//
// So the check runs 48 new tokens (the flash path) with and without past; when that disagrees it verifies
// the longest split-reduce run (31) and the engine then prefills in chunks of that length. Adapters where
// long runs are right keep one-run prefill. If even short runs disagree, nothing on this adapter can be
// trusted for attention and the decoder moves to wasm (model.ts).
import { Graph } from '../../onnx/graph.ts';
import type { Backend } from '../api.ts';
import type { Ort, OrtSession } from '../session.ts';

/** The decoder's attention heads (TextConfig's numHeads, numKvHeads, headDim). */
export interface AttentionGeometry {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

/** One GQA run: `newTokens` queries/keys after `past` cached positions. */
export interface AttentionCase {
  newTokens: number;
  past: number;
}

/** The fewest new tokens ORT's WebGPU GQA hands to its flash prefill kernel (flash_attention.cc). */
export const FLASH_PREFILL_MIN_RUN = 32;

/** Long runs: on the flash prefill path, several key tiles, from an empty cache and after a past. */
export const LONG_RUNS: readonly AttentionCase[] = [
  { newTokens: 48, past: 0 },
  { newTokens: 48, past: 16 },
];

/** Chunk lengths to fall back to, longest first: the longest split-reduce run, then one token per run. */
const CHUNK_CANDIDATES = [FLASH_PREFILL_MIN_RUN - 1, 1];

/** float32 attention agrees to ~1e-7; the failure this guards against is off by 0.3 or more. */
export const CHECK_TOLERANCE = 1e-3;

export interface AttentionCheck {
  /** The longest run of new tokens that is right: Infinity when long runs are, null when no run length is. */
  maxRun: number | null;
  /** The runs that disagreed with the reference, e.g. "48 new tokens: relative error 0.32"; '' when none. */
  failures: string;
}

/** Checks long-run attention on `backend`, and when it fails, which chunk length is right there. */
export async function checkAttention(ort: Ort, backend: Backend, geom: AttentionGeometry): Promise<AttentionCheck> {
  const session = await ort.InferenceSession.create(attentionGraph(geom), { executionProviders: [backend] });
  try {
    const failures: string[] = [];
    const failed = async (cases: readonly AttentionCase[]) => {
      const before = failures.length;
      for (const c of cases) {
        const err = await attentionError(ort, session, geom, c);
        if (!(err <= CHECK_TOLERANCE)) failures.push(`${describeCase(c)}: relative error ${err.toPrecision(2)}`);
      }
      return failures.length > before;
    };
    if (!(await failed(LONG_RUNS))) return { maxRun: Infinity, failures: '' };
    for (const run of CHUNK_CANDIDATES) {
      // A chunked prefill's first chunk starts from an empty cache, the later ones after a past.
      if (!(await failed([{ newTokens: run, past: 0 }, { newTokens: run, past: LONG_RUNS[0].newTokens - run }]))) return { maxRun: run, failures: failures.join('; ') };
    }
    return { maxRun: null, failures: failures.join('; ') };
  } finally {
    await session.release();
  }
}

function describeCase(c: AttentionCase): string {
  return `${c.newTokens} new token${c.newTokens === 1 ? '' : 's'}${c.past ? ` after ${c.past}` : ''}`;
}

/**
 * One GroupQueryAttention node as the decoder uses it (converter/emit/decoder.ts emitAttention): q (1, S, nh·hd),
 * k/v (1, S, kvh·hd), past (1, kvh, P, hd) → output (1, S, nh·hd), present (1, kvh, P + S, hd).
 */
export function attentionGraph(geom: AttentionGeometry): Uint8Array {
  const { numHeads: nh, numKvHeads: kvh, headDim: hd } = geom;
  const g = new Graph('attention_check');
  const q = g.input('query', 'float32', [1, 'S', nh * hd]);
  const k = g.input('key', 'float32', [1, 'S', kvh * hd]);
  const v = g.input('value', 'float32', [1, 'S', kvh * hd]);
  const pastK = g.input('past_key', 'float32', [1, kvh, 'P', hd]);
  const pastV = g.input('past_value', 'float32', [1, kvh, 'P', hd]);
  const seqlensK = g.input('seqlens_k', 'int32', [1]);
  const total = g.input('total_sequence_length', 'int32', []);
  const [o, presentK, presentV] = g.node(
    'GroupQueryAttention', '/attn/GroupQueryAttention',
    [q, k, v, pastK, pastV, seqlensK, total],
    { num_heads: nh, kv_num_heads: kvh, scale: { float: 1 / Math.sqrt(hd) } },
    ['output', 'present_key', 'present_value'], 'com.microsoft',
  );
  g.output(o, 'output', 'float32', [1, 'S', nh * hd]);
  g.output(presentK, 'present_key', 'float32', [1, kvh, 'T', hd]);
  g.output(presentV, 'present_value', 'float32', [1, kvh, 'T', hd]);
  return g.encode();
}

/** Runs case `c` on `session` and returns max |out − ref| / max |ref| against float32 attention in JS. */
export async function attentionError(ort: Ort, session: OrtSession, geom: AttentionGeometry, c: AttentionCase): Promise<number> {
  const { numHeads: nh, numKvHeads: kvh, headDim: hd } = geom;
  const S = c.newTokens, P = c.past, T = P + S;
  const seed = 1 + 7919 * (S * 1000 + P);
  const q = randomHeads(nh, S, hd, seed);
  const k = randomHeads(kvh, S, hd, seed + 1);
  const v = randomHeads(kvh, S, hd, seed + 2);
  const pastK = randomHeads(kvh, P, hd, seed + 3);
  const pastV = randomHeads(kvh, P, hd, seed + 4);
  const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);
  const out = await session.run({
    query: f32(tokenMajor(q), [1, S, nh * hd]),
    key: f32(tokenMajor(k), [1, S, kvh * hd]),
    value: f32(tokenMajor(v), [1, S, kvh * hd]),
    past_key: f32(pastK.data, [1, kvh, P, hd]),
    past_value: f32(pastV.data, [1, kvh, P, hd]),
    seqlens_k: new ort.Tensor('int32', Int32Array.of(T - 1), [1]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.of(T), []),
  });
  try {
    const got = (await out.output.getData()) as Float32Array;
    const ref = expectedAttention(q, appendPositions(pastK, k), appendPositions(pastV, v));
    let max = 0, err = 0;
    for (let i = 0; i < ref.length; i++) {
      max = Math.max(max, Math.abs(ref[i]));
      err = Math.max(err, Math.abs(got[i] - ref[i]));
    }
    return err / max;
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
}

/** Per-head rows: data (heads, len, hd) row-major. */
interface Heads {
  data: Float32Array;
  heads: number;
  len: number;
  hd: number;
}

/**
 * What GQA must output, token-major (S, nh·hd): query s of the S new ones sits at position T − S + s and
 * attends causally to keys 0 … T − S + s of its kv head ⌊h·kvh / nh⌋, softmax(q·kᵀ/√hd)·v summed in float64.
 * Written here rather than taken from reference/ so the oracle stays independent of the runtime.
 */
function expectedAttention(q: Heads, k: Heads, v: Heads): Float32Array {
  const { heads: nh, len: S, hd } = q;
  const { heads: kvh, len: T } = k;
  const out = new Float32Array(S * nh * hd);
  const weights = new Float64Array(T);
  const acc = new Float64Array(hd);
  for (let h = 0; h < nh; h++) {
    const kvRow = Math.floor((h * kvh) / nh) * T;
    for (let s = 0; s < S; s++) {
      const visible = T - S + s + 1;
      const query = q.data.subarray((h * S + s) * hd, (h * S + s + 1) * hd);
      let top = -Infinity;
      for (let t = 0; t < visible; t++) {
        const key = k.data.subarray((kvRow + t) * hd, (kvRow + t + 1) * hd);
        let dot = 0;
        for (let d = 0; d < hd; d++) dot += query[d] * key[d];
        weights[t] = dot / Math.sqrt(hd);
        if (weights[t] > top) top = weights[t];
      }
      let total = 0;
      acc.fill(0);
      for (let t = 0; t < visible; t++) total += weights[t] = Math.exp(weights[t] - top);
      for (let t = 0; t < visible; t++)
        for (let d = 0; d < hd; d++) acc[d] += (weights[t] / total) * v.data[(kvRow + t) * hd + d];
      out.set(acc, (s * nh + h) * hd);
    }
  }
  return out;
}

/** The cache after a run: each head's past positions, then its new ones. */
function appendPositions(past: Heads, next: Heads): Heads {
  const { heads, hd } = past;
  const len = past.len + next.len;
  const data = new Float32Array(heads * len * hd);
  for (let h = 0; h < heads; h++) {
    data.set(past.data.subarray(h * past.len * hd, (h + 1) * past.len * hd), h * len * hd);
    data.set(next.data.subarray(h * next.len * hd, (h + 1) * next.len * hd), (h * len + past.len) * hd);
  }
  return { data, heads, len, hd };
}

/** (heads, S, hd) → (S, heads·hd), the layout GQA's q/k/v inputs and output use. */
function tokenMajor(x: Heads): Float32Array {
  const { heads: n, len: S, hd } = x;
  const out = new Float32Array(x.data.length);
  for (let h = 0; h < n; h++) for (let s = 0; s < S; s++) out.set(x.data.subarray((h * S + s) * hd, (h * S + s + 1) * hd), (s * n + h) * hd);
  return out;
}

/** Deterministic values in [−1, 1) (a 32-bit LCG), so every run checks the same numbers. */
function randomHeads(heads: number, len: number, hd: number, seed: number): Heads {
  const data = new Float32Array(heads * len * hd);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { data, heads, len, hd };
}
