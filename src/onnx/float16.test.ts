import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/close.ts';
import { f32, i64, ort, runModel } from '../testing/ort.ts';
import { f16Bytes } from './f16.ts';
import { Graph, inlineWeights, tensorData, type GraphOptions, type Value } from './graph.ts';
import { FLOAT32_OPS, toFloat16 } from './float16.ts';

const D = 8;
const seq = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
const W = seq(D * D, (i) => Math.sin(i * 1.3) * 0.4);
const gamma = seq(D, (i) => 1 + 0.1 * i);
const beta = seq(D, (i) => 0.05 * i);

/**
 * A small graph with every case the pass distinguishes:
 *   x (2, D) f32 ─ MatMul(W) ─ Cast(to float, a no-op) ─ LayerNorm ─┐
 *   pos (2) int64 ─ Cast(float) ─ Mul(1000) ─ Cos ─ (2, 1) ──────────┴ Mul ─ Add(past) ─ Mul(0.5) ─► y (2, D) f32, kv (2, D)
 */
function build(options: GraphOptions): Graph {
  const g = new Graph('float16', inlineWeights, options);
  const x = g.input('x', 'float32', [2, D]);
  const pos = g.input('pos', 'int64', [2]);
  const past = g.input('past', 'float32', [2, D]);
  const s = g.at('/t');
  const h = s.op('Cast', 'noop', [s.op('MatMul', 'MatMul', [x, g.weight('w', tensorData('float32', [D, D], W))])], { to: 1 });
  const n = s.op('LayerNormalization', 'LN', [h, g.weight('ln.weight', tensorData('float32', [D], gamma)), g.weight('ln.bias', tensorData('float32', [D], beta))], { axis: -1, epsilon: { float: 1e-5 } });
  const angle = s.op('Mul', 'angle', [s.op('Cast', 'pos_f', [pos], { to: 1 }), g.scalar(1000)]); // up to 1000·pos: float16 would lose it
  const c = s.op('Unsqueeze', 'col', [s.op('Cos', 'Cos', [angle]), g.ints([1])]);
  const y: Value = s.op('Mul', 'Half', [s.op('Add', 'Add', [s.op('Mul', 'Mul', [n, c]), past]), g.scalar(0.5)]);
  g.output(y, 'y', 'float32', [2, D]);
  g.output(y, 'kv', 'float32', [2, D]);
  return g;
}

const feeds = (past: Float32Array | Uint16Array) => ({
  x: f32(seq(2 * D, (i) => Math.cos(i) * 2), [2, D]),
  pos: i64([3, 31], [2]),
  past: past instanceof Uint16Array ? new ort.Tensor('float16', past, [2, D]) : f32(past, [2, D]),
});

describe('float16 pass', () => {
  const float16 = { float16IO: (name: string) => name === 'past' || name === 'kv' };

  it('runs sensitive ops and integer-derived values in float32, the rest in float16, with float32 I/O except the chosen names', () => {
    const out = toFloat16(build({ float16 }).proto(), float16);
    const byName = new Map(out.nodes.map((n) => [n.name, n]));
    // I/O: float32 kept, the KV-like names float16.
    expect(out.inputs.map((v) => [v.name, v.dtype])).toEqual([['x', 'float32'], ['pos', 'int64'], ['past', 'float16']]);
    expect(out.outputs.map((v) => [v.name, v.dtype])).toEqual([['y', 'float32'], ['kv', 'float16']]);
    // Weights were stored as float16 while streaming.
    for (const w of ['w', 'ln.weight', 'ln.bias']) expect(out.initializers.find((t) => t.name === w)?.dtype).toBe('float16');
    // The float→float Cast is gone; MatMul reads x through a Cast to float16.
    expect(byName.has('/t/noop')).toBe(false);
    expect(byName.get('/t/MatMul')!.inputs[0]).toBe('x/float16');
    // LayerNormalization is float32: its float16 inputs (activation, weights) are cast to float32.
    expect(FLOAT32_OPS.has('LayerNormalization')).toBe(true);
    expect(byName.get('/t/LN')!.inputs).toEqual(['/t/MatMul/output_0/float32', 'ln.weight/float32', 'ln.bias/float32']);
    // The angle island stays float32, constant included; Cos too.
    expect(byName.get('/t/angle')!.inputs[1]).toMatch(/^\/constants\/float32_\d+$/);
    expect(out.initializers.find((t) => t.name === byName.get('/t/angle')!.inputs[1])?.dtype).toBe('float32');
    // Mul(LN out f32, cos f32) has no float16 input: float32; Add with the float16 past runs float16.
    expect(byName.get('/t/Mul')!.inputs).toEqual(['/t/LN/output_0', '/t/col/output_0']);
    expect(byName.get('/t/Add')!.inputs).toEqual(['/t/Mul/output_0/float16', 'past']);
    // The 0.5 of a float16 Mul is a float16 constant; no initializer is left unused (a float32 constant whose consumers all took its float16 copy goes).
    expect(out.initializers.find((t) => t.name === byName.get('/t/Half')!.inputs[1])?.dtype).toBe('float16');
    const used = new Set(out.nodes.flatMap((n) => n.inputs));
    expect(out.initializers.filter((t) => !used.has(t.name)).map((t) => t.name)).toEqual([]);
    // Each output is produced under its own name with its declared type.
    expect(out.nodes.filter((n) => n.outputs.includes('y')).map((n) => [n.opType, n.attrs.to])).toEqual([['Cast', 1]]);
    expect(out.nodes.filter((n) => n.outputs.includes('kv')).map((n) => n.opType)).toEqual(['Identity']);
  });

  it('the float16 graph computes the float32 graph up to float16 rounding', async () => {
    const past = seq(2 * D, (i) => 0.1 * i - 0.3);
    const ref = await runModel(build({}).encode(), feeds(past));
    const half = await runModel(build({ float16 }).encode(), feeds(new Uint16Array(f16Bytes(past).buffer)));
    expect(half.y.type).toBe('float32');
    expect(half.kv.type).toBe('float16');
    // A handful of float16 roundings (≤ 2⁻¹¹ each) between input and output.
    expectClose(half.y.data as Float32Array, ref.y.data as Float32Array, 4e-3, 'y');
    // The angle 1000·31 = 31000 is exact only in float32 (float16's step there is 16): cos stays right.
    expect(Math.abs((half.y.data as Float32Array)[D] - (ref.y.data as Float32Array)[D])).toBeLessThan(1e-2 * Math.abs((ref.y.data as Float32Array)[D]) + 1e-2);
  });

  it('refuses a float32 weight binary16 cannot hold, and an op it has no typing rule for', () => {
    const g = new Graph('big', inlineWeights, { float16 });
    expect(() => g.weight('huge', tensorData('float32', [2], [1, 1e6]))).toThrow(/weight huge has values beyond float16's range/);
    const h = new Graph('odd', inlineWeights, { float16 });
    const x = h.input('x', 'float32', [2]);
    h.output(h.at('/o').op('Erf', 'Erf', [x]), 'y', 'float32', [2]);
    expect(() => h.encode()).toThrow(/no typing rule for op Erf \(node \/o\/Erf\)/);
  });
});
