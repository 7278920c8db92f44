// The wasm rewrite of int4 Linears as int8 (int8-linears.ts): on a hand-built graph it is exactly the
// converter's q8 format of the weight MatMulNBits multiplies by, for inline and external-data graphs, and it
// leaves what it does not understand alone; on the tiny q4 model every encoder output stays within a few
// percent of onnxruntime's int4 run (the activations' uint8 rounding), and the model reports the rewrite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, type WeightStore } from '../../onnx/graph.ts';
import { ProtoReader } from '../../onnx/proto-reader.ts';
import { relErr } from '../../testing/close.ts';
import { f32, ort, runModel } from '../../testing/ort.ts';
import { hasShared, NO_SHARED } from '../../testing/shared.ts';
import { linear, type WeightFormat } from '../../../converter/emit/linear.ts';
import type { WeightSource } from '../../../converter/read/checkpoint.ts';
import { dequantizeQ4, quantizeQ4 } from '../../../converter/quantize/q4.ts';
import { tensor, type Tensor } from '../../../reference/tensor.ts';
import { uniformFloats } from '../../../fixtures/random.ts';
import { COMPONENTS } from '../../model-folder/manifest.ts';
import { loadModelFiles, type ModelFiles } from '../load/load-model.ts';
import { NodeFolder } from '../load/node-folder.ts';
import { Fo1Model } from '../model.ts';
import { prepareBoxes, prepareImage } from '../preprocess/prepare.ts';
import { atDetail } from '../preprocess/detail.ts';
import type { GraphBytes } from '../session.ts';
import { tinyModel } from '../testing/tiny-model.ts';
import { int8Linears } from './int8-linears.ts';

const never = new AbortController().signal;

function memoryWeights(ts: Record<string, Tensor>): WeightSource {
  return {
    has: (n) => n in ts,
    shape: (n) => ts[n]?.shape,
    names: () => Object.keys(ts),
    get: async (n) => ts[n] ?? Promise.reject(new Error(`missing ${n}`)),
  };
}

/** A WeightStore that appends every initializer to one external-data chunk. */
function externalStore(path: string): WeightStore & { chunk(): { path: string; data: Uint8Array } } {
  const parts: Uint8Array[] = [];
  let size = 0;
  return {
    put(_name, bytes) {
      parts.push(bytes);
      size += bytes.length;
      return { location: path, offset: size - bytes.length, length: bytes.length };
    },
    chunk: () => {
      const data = new Uint8Array(size);
      let o = 0;
      for (const p of parts) data.set(p, (o += p.length) - p.length);
      return { path, data };
    },
  };
}

// Three Linears in a row: fc1 (K = 40, not a multiple of the block; bias), fc2 (no bias), and fc3 whose K is
// below minQuantK, so it stays a float MatMul in every format.
const K = 40, H = 48, OUT = 8, BLOCK = 16, MIN_K = 24;
const weights: Record<string, Tensor> = {
  'fc1.weight': tensor(uniformFloats(H * K, 1), [H, K]),
  'fc1.bias': tensor(uniformFloats(H, 2), [H]),
  'fc2.weight': tensor(uniformFloats(MIN_K * H, 3), [MIN_K, H]),
  'fc3.weight': tensor(uniformFloats(OUT * MIN_K - OUT, 4), [OUT, MIN_K - 1]),
};
const x = f32(uniformFloats(2 * 5 * K, 5), [2, 5, K]);

async function mlp(format: WeightFormat, w: Record<string, Tensor>, store?: WeightStore): Promise<Uint8Array> {
  const g = new Graph('mlp', store);
  const ctx = { w: memoryWeights(w), format, blockSize: BLOCK, minQuantK: MIN_K };
  let y = g.input('x', 'float32', [2, 5, K]);
  y = await linear(ctx, g.at('/fc1'), 'fc1', y, 'fc1', { bias: true });
  y = await linear(ctx, g.at('/fc2'), 'fc2', y, 'fc2', { bias: false });
  const last = await linear(ctx, g.at('/fc3'), 'fc3', g.at('/fc3').op('Slice', 'Head', [y, g.ints([0]), g.ints([MIN_K - 1]), g.ints([2])]), 'fc3', { bias: false });
  g.output(last, 'y', 'float32', [2, 5, OUT]);
  return g.encode();
}

/** The weights a q4 graph multiplies by: each quantized Linear's int4 blocks, dequantized. */
const q4Weights = Object.fromEntries(Object.entries(weights).map(([n, t]) => {
  const [N, k] = t.shape;
  return [n, t.shape.length === 2 && k >= MIN_K ? tensor(dequantizeQ4(quantizeQ4(t.data, N, k, BLOCK)), t.shape) : t];
}));

function opTypes(model: Uint8Array): string[] {
  const out: string[] = [];
  for (const [f, graph] of new ProtoReader(model).messages()) if (f === 7)
    for (const [g, node] of graph.messages()) if (g === 1)
      for (const field of node.fields()) if (field.no === 4) out.push(new TextDecoder().decode(field.bytes!));
  return out;
}

async function run(bytes: GraphBytes): Promise<Float32Array> {
  return (await runModel(bytes.graph, { x }, bytes.externalData)).y.data as Float32Array;
}

describe('int8Linears on a hand-built graph', () => {
  it('runs each int4 Linear as the converter\'s q8 format of the weight MatMulNBits multiplies by', async () => {
    const q4 = { graph: await mlp('q4', weights), externalData: [] };
    const { bytes, linears } = int8Linears(q4, 'mlp');
    expect(linears).toBe(2);
    expect(opTypes(q4.graph).filter((o) => o === 'MatMulNBits' || o === 'Cast')).toEqual(['Cast', 'MatMulNBits', 'Cast', 'MatMulNBits']);
    expect(opTypes(bytes.graph).filter((o) => /MatMul|Cast/.test(o))).toEqual(['DynamicQuantizeMatMul', 'DynamicQuantizeMatMul', 'MatMul']);
    const rewritten = await run(bytes);
    // The converter's q8 graph of the dequantized int4 weights: the same int8 codes and scales, so the same numbers.
    expect(Array.from(rewritten)).toEqual(Array.from(await run({ graph: await mlp('q8', q4Weights), externalData: [] })));
    // And within int8's rounding of the int4 graph's output.
    expect(relErr(rewritten, await run(q4))).toBeLessThan(0.02);
  });

  it('moves the int8 weights and every external initializer it keeps into one new chunk', async () => {
    const store = externalStore('mlp.onnx_data');
    const graph = await mlp('q4', weights, store);
    const q4 = { graph, externalData: [store.chunk()] };
    const { bytes, linears } = int8Linears(q4, 'mlp');
    expect(linears).toBe(2);
    expect(bytes.externalData.map((d) => d.path)).toEqual(['mlp.int8.onnx_data']);
    expect(new TextDecoder().decode(bytes.graph)).not.toContain('mlp.onnx_data');
    const inline = int8Linears({ graph: await mlp('q4', weights), externalData: [] }, 'mlp');
    expect(Array.from(await run(bytes))).toEqual(Array.from(await run(inline.bytes)));
  });

  it('leaves graphs without a Linear it understands as they are: fp32, and q4f16 (float16 scales read directly)', async () => {
    for (const graph of [await mlp('fp32', weights), await float16Mlp()]) {
      const given = { graph, externalData: [] };
      const { bytes, linears } = int8Linears(given, 'mlp');
      expect(linears).toBe(0);
      expect(bytes).toBe(given);
    }
  });
});

/** The q4 mlp through the float16 pass (the q4f16 dtype): MatMulNBits reads float16 scales with no Cast. */
async function float16Mlp(): Promise<Uint8Array> {
  const g = new Graph('mlp', undefined, { float16: {} });
  const ctx = { w: memoryWeights(weights), format: 'q4' as const, blockSize: BLOCK, minQuantK: MIN_K };
  const y = await linear(ctx, g.at('/fc1'), 'fc1', g.input('x', 'float32', [2, 5, K]), 'fc1', { bias: true });
  g.output(y, 'y', 'float32', [2, 5, H]);
  const bytes = g.encode();
  expect(opTypes(bytes)).toContain('MatMulNBits');
  return bytes;
}

describe.skipIf(!hasShared)(`int8Linears on the tiny q4 model's encoders ${hasShared ? '' : NO_SHARED}`, () => {
  let files: ModelFiles;
  let int4: Fo1Model;
  let int8: Fo1Model;

  beforeAll(async () => {
    files = await loadModelFiles(new NodeFolder((await tinyModel(['q4'])).dir), 'q4', () => {}, never);
    int4 = await Fo1Model.create(ort, files.manifest, files.graphs, { backend: 'wasm', reason: 'test' }, () => {});
    int8 = await Fo1Model.create(ort, files.manifest, files.graphs, { backend: 'wasm', reason: 'test', int8Encoders: true }, () => {});
  }, 180_000);

  afterAll(async () => {
    await int4?.release();
    await int8?.release();
  });

  it('rewrites every MatMulNBits of the vision graphs and the region encoder, and says so per session', () => {
    for (const name of COMPONENTS) {
      if (name === 'decoder_model_merged') continue;
      const matmuls = opTypes(files.graphs[name].graph).filter((o) => o === 'MatMulNBits').length;
      const report = int8.backends.find((b) => b.session === name)!;
      if (matmuls) expect(report.reason, name).toContain(`its ${matmuls} int4 Linears run as int8`);
      else expect(report.reason, name).not.toContain('int8');
      expect(int4.backends.find((b) => b.session === name)!.reason).not.toContain('int8');
    }
    expect(opTypes(files.graphs.vision_semantic.graph)).toContain('MatMulNBits');
  });

  it('keeps every encoder output within a few percent of the int4 sessions\'', async () => {
    const photo = { width: 160, height: 120, data: Uint8Array.from({ length: 160 * 120 * 3 }, (_, i) => (i * 7 + (i >> 9)) % 251) };
    const prepared = prepareImage(photo, atDetail(files.manifest.image, 'reference'));
    const boxes = prepareBoxes(prepared, [{ x1: 10, y1: 10, x2: 120, y2: 90 }, { x1: 60, y1: 30, x2: 150, y2: 110 }]);
    const [a, b] = [await int4.encodeImage(prepared), await int8.encodeImage(prepared)];
    const errors: Record<string, number> = {
      image_embeds: relErr(b.imageEmbeds, a.imageEmbeds),
      vt_map: relErr(b.vtMap.data as Float32Array, a.vtMap.data as Float32Array),
      ...Object.fromEntries(a.davitStages.map((s, l) => [`davit_stage${l}`, relErr(b.davitStages[l].data as Float32Array, s.data as Float32Array)])),
      region_embeds: relErr(await int8.encodeRegions(b, boxes), await int4.encodeRegions(a, boxes)),
    };
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(0.03);
    expect(Object.values(errors).some((e) => e > 0), 'the int8 path really ran').toBe(true);
  });
});
