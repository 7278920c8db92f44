import { describe, expect, it } from 'vitest';
import { f32, runModel } from '../src/testing/ort.ts';
import { PROBE_X, probeExpected, probeModel } from './probe-graph.ts';

describe('backend probe model', () => {
  it('computes relu(x·W + b) as the plain-JS version does', async () => {
    const out = await runModel(probeModel(), { x: f32([...PROBE_X.data], [...PROBE_X.dims]) });
    expect(out.y.dims).toEqual([2, 3]);
    expect(Array.from(out.y.data as Float32Array)).toEqual(probeExpected());
    // By hand: row 0 = [1+4, 2+5, 3+6] + b = [5.5, 6, 11]; row 1 = [2-4, 4-5, 6-6] + b = [-1.5, -2, 2] → relu.
    expect(probeExpected()).toEqual([5.5, 6, 11, 0, 0, 2]);
  });
});
