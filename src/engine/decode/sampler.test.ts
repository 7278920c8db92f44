import { describe, expect, it } from 'vitest';
import { argmax, Sampler, SamplingError } from './sampler.ts';

const logits = Float32Array.from([0.1, 2.5, 2.5, -1, 1.9]);

describe('Sampler', () => {
  it('greedy picks the first maximum, as torch.argmax', () => {
    expect(argmax(logits)).toBe(1);
    expect(new Sampler({ seed: 3 }).pick(logits)).toBe(1);
  });

  it('replays the same draws for a seed', () => {
    const draw = (seed: number) => {
      const s = new Sampler({ seed, temperature: 1.5 });
      return Array.from({ length: 40 }, () => s.pick(logits));
    };
    expect(draw(11)).toEqual(draw(11));
    expect(new Set(draw(11)).size).toBeGreaterThan(1);
  });

  it('top-p keeps only the smallest most-probable set reaching the mass', () => {
    // softmax(logits): tokens 1 and 2 hold ≈ 0.67 of the mass; with topP 0.6 nothing else may be drawn.
    const s = new Sampler({ seed: 5, temperature: 1, topP: 0.6 });
    const seen = new Set(Array.from({ length: 200 }, () => s.pick(logits)));
    expect([...seen].every((t) => t === 1 || t === 2)).toBe(true);
  });

  it('refuses a negative temperature and a topP outside (0, 1]', () => {
    expect(() => new Sampler({ seed: 0, temperature: -1 })).toThrow(SamplingError);
    expect(() => new Sampler({ seed: 0, temperature: 1, topP: 0 })).toThrow(/topP/);
  });
});
