// The decoder's M-RoPE frequencies, which graph and engine must compute bit for bit alike: the decoder graph
// turns position_ids into cos/sin in-graph from these tables (converter/emit/decoder.ts), the engine's int4
// kernels compute the same cos/sin on the CPU (src/engine/decode/int4/). Qwen2_5_VLRotaryEmbedding with
// mrope_section splitting the half head into t, h, w frequencies (docs/model.md, M-RoPE). The float32
// reference (reference/decoder.ts) keeps its own copy, so a mistake here shows up against it.

import type { TextConfig } from './config.ts';

type RopeConfig = Pick<TextConfig, 'headDim' | 'ropeTheta' | 'mropeSection'>;

/** inv_freq[j] = 1 / θ^(2j/hd), j < hd/2, each step rounded to float32 as torch computes it. */
export function ropeInvFreq(cfg: RopeConfig): Float32Array {
  const out = new Float32Array(cfg.headDim / 2);
  for (let j = 0; j < out.length; j++) out[j] = 1 / Math.fround(cfg.ropeTheta ** Math.fround((2 * j) / cfg.headDim));
  return out;
}

/** The position axis (0 = t, 1 = h, 2 = w) of frequency j: the first mropeSection[0] are t, and so on. */
export function mropeAxisOf(cfg: RopeConfig): Uint8Array {
  const [t, h] = cfg.mropeSection;
  return Uint8Array.from({ length: cfg.headDim / 2 }, (_, j) => (j < t ? 0 : j < t + h ? 1 : 2));
}

/**
 * cos/sin of angle[s, j] = positions[axis(j)·S + s] · inv_freq[j] (rounded to float32) for S tokens.
 * positions (3, S) row-major → cos, sin (S, hd/2); one half suffices, rotate_half's two halves are equal.
 */
export function mropeTables(cfg: RopeConfig, positions: ArrayLike<number>): { cos: Float32Array; sin: Float32Array } {
  const S = positions.length / 3;
  if (!Number.isInteger(S)) throw new Error(`mropeTables: ${positions.length} position ids are not (3, S)`);
  const invFreq = ropeInvFreq(cfg);
  const axisOf = mropeAxisOf(cfg);
  const half = invFreq.length;
  const cos = new Float32Array(S * half);
  const sin = new Float32Array(S * half);
  invFreq.forEach((f, j) => {
    const row = axisOf[j] * S;
    for (let s = 0; s < S; s++) {
      const angle = Math.fround(positions[row + s] * f);
      cos[s * half + j] = Math.cos(angle);
      sin[s * half + j] = Math.sin(angle);
    }
  });
  return { cos, sin };
}
