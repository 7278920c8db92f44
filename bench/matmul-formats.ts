// Profile of one Linear in every weight format the decoder could use, on both runtimes (issue 5: "profile before
// optimizing"). The shape is the 3B decoder's gate/up projection, x (M, 2048) · Wᵀ with W (11008, 2048), at
// M = 1 (a decode step) and M = 512 (a prefill chunk). Weight values are random: kernel speed does not depend on
// them. Run in a child process per runtime/thread count by bench/run.ts (`npm run bench -- formats`).
//
// Why this matters: MLAS implements MatMulNBits' fast paths (SQNBitGemm, int8 or fp32 compute on packed int4)
// only for x64 and ARM64. The wasm build has none of them (its MLAS sources are wasm_simd/Sgemm*), so every
// MatMulNBits call there dequantizes the whole weight to a fresh fp32 buffer and then runs SGEMM.

import { Graph, type Value } from '../src/onnx/graph.ts';
import type { RtTensor, Runtime } from './runtime.ts';
import { summarize, timeRuns, type Summary } from './stats.ts';
import { randomBytes } from '../fixtures/random.ts';

export const N = 11008;
export const K = 2048;

export interface FormatCase {
  id: string;
  op: string;
  bytes: number; // weight bytes read per call (what bandwidth-bound decode pays)
  build: () => Uint8Array;
}

export interface FormatTiming {
  id: string;
  M: number;
  ms: Summary;
}

function f32(n: number, v: number): Uint8Array {
  return new Uint8Array(new Float32Array(n).fill(v).buffer);
}

function graphWith(body: (g: Graph, x: Value) => Value): Uint8Array {
  const g = new Graph('linear');
  const x = g.input('x', 'float32', ['M', K]);
  g.output(body(g, x), 'y', 'float32', ['M', N]);
  return g.encode();
}

function matMulNBits(bits: 4 | 8, block: number, zeroPoints: boolean, accuracy: 0 | 4): FormatCase {
  const kBlocks = Math.ceil(K / block);
  const blobBytes = (block * bits) / 8;
  const zpBytes = N * Math.ceil((kBlocks * bits) / 8);
  return {
    id: `MatMulNBits b${bits} blk${block}${zeroPoints ? ' zp' : ' sym'} acc${accuracy}`,
    op: 'MatMulNBits',
    bytes: N * kBlocks * (blobBytes + 4) + (zeroPoints ? zpBytes : 0),
    build: () => graphWith((g, x) => {
      const B = g.weight('B', { dtype: 'uint8', dims: [N, kBlocks, blobBytes], bytes: randomBytes(N * kBlocks * blobBytes, 1) });
      const scales = g.weight('scales', { dtype: 'float32', dims: [N * kBlocks], bytes: f32(N * kBlocks, 0.01) });
      const zp = zeroPoints ? g.weight('zp', { dtype: 'uint8', dims: [zpBytes], bytes: randomBytes(zpBytes, 2) }) : null;
      return g.at('/l').ms('MatMulNBits', 'MatMulNBits', zp ? [x, B, scales, zp] : [x, B, scales], { K, N, bits, block_size: block, accuracy_level: accuracy })[0];
    }),
  };
}

const fp32: FormatCase = {
  id: 'MatMul fp32',
  op: 'MatMul',
  bytes: N * K * 4,
  build: () => graphWith((g, x) => g.at('/l').op('MatMul', 'MatMul', [x, g.weight('W', { dtype: 'float32', dims: [K, N], bytes: f32(K * N, 0.01) })])),
};

/** int8 weights, one scale per output column; activations quantized per call (MLAS QGEMM, has a wasm SIMD kernel). */
const dynamicInt8: FormatCase = {
  id: 'DynamicQuantizeMatMul s8 per-col',
  op: 'DynamicQuantizeMatMul',
  bytes: N * K + N * 4,
  build: () => graphWith((g, x) => {
    const W = g.weight('W', { dtype: 'int8', dims: [K, N], bytes: randomBytes(K * N, 3) });
    const scale = g.weight('scale', { dtype: 'float32', dims: [N], bytes: f32(N, 0.01) });
    return g.at('/l').ms('DynamicQuantizeMatMul', 'DynamicQuantizeMatMul', [x, W, scale])[0];
  }),
};

export function formatCases(): FormatCase[] {
  const nbits: FormatCase[] = [];
  for (const block of [16, 32, 64, 128])
    for (const zp of [true, false])
      for (const acc of [0, 4] as const) nbits.push(matMulNBits(4, block, zp, acc));
  return [fp32, dynamicInt8, ...nbits, matMulNBits(8, 32, false, 4)];
}

/** Times every case at every M on one runtime. */
export async function profileFormats(rt: Runtime, ms: readonly number[], filter?: RegExp): Promise<FormatTiming[]> {
  const out: FormatTiming[] = [];
  for (const c of formatCases()) {
    if (filter && !filter.test(c.id)) continue;
    const session = await rt.load(c.build());
    try {
      for (const M of ms) {
        const x = rt.tensor('float32', new Float32Array(M * K).map((_, i) => Math.sin(i)), [M, K]);
        const runs = M === 1 ? 10 : 3;
        const t = await timeRuns(async () => disposeAll(await session.run({ x })), runs, 2);
        out.push({ id: c.id, M, ms: summarize(t) });
      }
    } finally {
      await session.release();
    }
  }
  return out;
}

function disposeAll(r: Record<string, RtTensor>): void {
  for (const t of Object.values(r)) t.dispose?.();
}
