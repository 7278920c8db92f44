// Picks each next token from the last position's logits (docs/model.md "Generation"): greedy argmax by
// default, as every reference script runs (temperature 0 → do_sample False); with a temperature, softmax
// sampling restricted to the top-p nucleus, from a seeded generator so a given seed replays the same answer.
import { mulberry32 } from '../random.ts';

export interface SamplingOptions {
  /** 0 or absent: greedy. */
  temperature?: number;
  /** Nucleus mass in (0, 1]; 1 or absent keeps every token. */
  topP?: number;
  seed: number;
}

export class SamplingError extends Error {
  override name = 'SamplingError';
}

/** Throws a SamplingError for a temperature or top-p the sampler cannot use (checked before anything runs). */
export function checkSampling({ temperature = 0, topP = 1 }: Pick<SamplingOptions, 'temperature' | 'topP'>): void {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new SamplingError(`temperature must be a finite number ≥ 0 (got ${temperature})`);
  if (!(topP > 0 && topP <= 1)) throw new SamplingError(`topP must be in (0, 1] (got ${topP})`);
}

export class Sampler {
  private readonly next: () => number;

  constructor(private readonly options: SamplingOptions) {
    checkSampling(options);
    this.next = mulberry32(options.seed);
  }

  pick(logits: Float32Array): number {
    const t = this.options.temperature ?? 0;
    return t === 0 ? argmax(logits) : this.sample(logits, t, this.options.topP ?? 1);
  }

  private sample(logits: Float32Array, t: number, topP: number): number {
    const max = logits[argmax(logits)];
    const order = Array.from(logits.keys());
    const p = new Float64Array(logits.length);
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp((logits[i] - max) / t);
    order.sort((a, b) => p[b] - p[a] || a - b);
    // Smallest prefix of tokens, most probable first, whose mass reaches topP (always at least one).
    let kept = 0;
    let mass = 0;
    while (kept < order.length && (kept === 0 || mass < topP * sum)) mass += p[order[kept++]];
    let r = this.next() * mass;
    for (let k = 0; k < kept; k++) {
      r -= p[order[k]];
      if (r < 0) return order[k];
    }
    return order[kept - 1];
  }
}

/** First index of the largest value (torch.argmax's tie rule). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
