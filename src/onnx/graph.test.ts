import { describe, expect, it } from 'vitest';
import { Graph, tensorData } from './graph.ts';
import { f32, runModel } from '../testing/ort.ts';

function linearGraph(): Graph {
  // y = x · Wᵀ + b, written the way emitters write blocks.
  const g = new Graph('linear');
  const x = g.input('x', 'float32', ['batch', 2]);
  const s = g.at('/model/fc');
  const w = g.weight('model.fc.weight', tensorData('float32', [2, 3], [1, 2, 3, 4, 5, 6]));
  const b = g.weight('model.fc.bias', tensorData('float32', [3], [0.5, -1, 2]));
  const y = s.op('Add', 'Add', [s.op('MatMul', 'MatMul', [x, w]), b]);
  g.output(y, 'y', 'float32', ['batch', 3]);
  return g;
}

describe('Graph', () => {
  it('emits a model onnxruntime runs, with checkpoint weight names', async () => {
    const out = await runModel(linearGraph().encode(), { x: f32([1, 1, 2, -1], [2, 2]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([5.5, 6, 11, -1.5, -2, 2]);
    expect(out.y.dims).toEqual([2, 3]);
  });

  it('is byte-identical across builds', () => {
    expect(linearGraph().encode()).toEqual(linearGraph().encode());
  });

  it('deduplicates constants and refuses undefined inputs and duplicate names', () => {
    const g = new Graph('t');
    expect(g.ints([1, 2])).toBe(g.ints([1, 2]));
    expect(() => g.at('/a').op('Relu', 'Relu', [{ name: 'nope' }])).toThrow(/nope is not defined/);
    g.input('x', 'float32', [1]);
    expect(() => g.input('x', 'float32', [1])).toThrow(/defined twice/);
  });
});
