// The tiny ONNX model the backend probe runs: y = relu(x · W + b) with fixed numbers, built in memory with
// the project's graph builder (browser-safe), plus the same computation in plain JS to check the result.
// Relu after a MatMul+Add exercises the three op kinds every real graph leans on, at a size that compiles
// in milliseconds even on a software WebGPU adapter.

import { Graph, tensorData } from '../src/onnx/graph.ts';

export const PROBE_X = { data: [1, 1, 2, -1], dims: [2, 2] } as const; // (N=2, 2)
const W = [1, 2, 3, 4, 5, 6]; // (2, 3)
const B = [0.5, -1, 2]; // (3)

export function probeModel(): Uint8Array {
  const g = new Graph('backend-probe');
  const x = g.input('x', 'float32', ['N', 2]);
  const s = g.at('/probe');
  const w = g.weight('probe.weight', tensorData('float32', [2, 3], W));
  const b = g.weight('probe.bias', tensorData('float32', [3], B));
  const y = s.op('Relu', 'Relu', [s.op('Add', 'Add', [s.op('MatMul', 'MatMul', [x, w]), b])]); // (N, 3)
  g.output(y, 'y', 'float32', ['N', 3]);
  return g.encode();
}

/** relu(x · W + b) for `PROBE_X`, computed directly. */
export function probeExpected(): number[] {
  const [n, k] = PROBE_X.dims;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) {
      let acc = B[j];
      for (let t = 0; t < k; t++) acc += PROBE_X.data[i * k + t] * W[t * 3 + j];
      out.push(Math.max(0, acc));
    }
  }
  return out;
}
