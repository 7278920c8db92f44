import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dtypeBuild } from '../convert.ts';
import { Graph, inlineWeights } from '../../src/onnx/graph.ts';
import type { ModelDtype } from '../../src/model-folder/manifest.ts';
import { Checkpoint, type WeightSource } from '../read/checkpoint.ts';
import { parseVision, PREFIX } from '../read/config.ts';
import type { ProjectorType } from '../../src/model-folder/config.ts';
import { dequantizeQ4, quantizeQ4 } from '../quantize/q4.ts';
import { reshape, tensor, type Tensor } from '../../reference/tensor.ts';
import { visionSemanticReference, type VisionSemanticConfig } from '../../reference/vision-semantic.ts';
import { vitLayout } from '../../src/engine/encoders/vit-layout.ts';
import { relErr } from '../../src/testing/close.ts';
import { ort, runModel, type Feeds } from '../../src/testing/ort.ts';
import { hasShared, NO_SHARED, sharedAsset } from '../../src/testing/shared.ts';
import type { EmitContext } from './linear.ts';
import { emitVisionSemantic } from './vision-semantic.ts';
import { VISION_SEMANTIC_IO } from '../../src/model-folder/graph-io.ts';
import { uniformFloats } from '../../fixtures/random.ts';
import { int8Linears } from '../../src/engine/encoders/int8-linears.ts';

/** Golden weights plus extra in-memory tensors (a projector the golden fixture does not carry). */
function withExtra(base: WeightSource, extra: Map<string, Tensor>): WeightSource {
  return {
    has: (n) => extra.has(n) || base.has(n),
    names: () => [...base.names(), ...extra.keys()],
    shape: (n) => extra.get(n)?.shape ?? base.shape(n),
    get: async (n, s) => extra.get(n) ?? base.get(n, s),
  };
}

/** Every ≥2-D weight (the Linears and the patch kernel) replaced by what its int4 blocks stand for. */
function dequantized(base: WeightSource, ctx: Pick<EmitContext, 'blockSize' | 'minQuantK'>): WeightSource {
  return {
    has: (n) => base.has(n),
    names: () => base.names(),
    shape: (n) => base.shape(n),
    get: async (n, s) => {
      const t = await base.get(n, s);
      const [N, ...rest] = t.shape;
      const K = rest.reduce((a, b) => a * b, 1);
      if (t.shape.length < 2 || K < ctx.minQuantK) return t;
      return reshape(tensor(dequantizeQ4(quantizeQ4(t.data, N, K, ctx.blockSize)), [N, K]), t.shape);
    },
  };
}

/** ‖a − b‖₂ / ‖b‖₂. */
function rmsRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Names of the ViT weights linear() quantizes (≥ 2-D, flattened K ≥ minQuantK). */
function quantizedLinears(w: WeightSource, minQuantK: number): string[] {
  return w.names().filter((n) => {
    const s = w.shape(n) ?? [];
    return n.startsWith(PREFIX.vit) && s.length >= 2 && s.slice(1).reduce((a, b) => a * b, 1) >= minQuantK;
  });
}

/** Deterministic small weights in [-amp, amp) (a projector for the golden ViT), seeded so runs are reproducible. */
function randomTensor(shape: number[], seed: number, amp: number): Tensor {
  return tensor(uniformFloats(shape.reduce((a, b) => a * b, 1), seed, -amp, amp), shape);
}

function layoutFeeds(cfg: VisionSemanticConfig, gh: number, gw: number, pixels: Tensor): Feeds {
  const feeds: Feeds = { pixel_values: new ort.Tensor('float32', pixels.data, [...pixels.shape]) };
  for (const [name, t] of Object.entries(vitLayout(cfg.vision, gh, gw).feeds)) feeds[name] = new ort.Tensor(t.dtype, t.data, t.dims);
  return feeds;
}

async function buildGraph(w: WeightSource, cfg: VisionSemanticConfig, dtype: ModelDtype, minQuantK: number, scoresPerChunk?: number): Promise<Uint8Array> {
  const { format, graph } = dtypeBuild(dtype);
  const g = new Graph('vision_semantic', inlineWeights, graph);
  await emitVisionSemantic(g, { w, format, blockSize: 32, minQuantK }, cfg, scoresPerChunk);
  return g.encode();
}

describe.skipIf(!hasShared)(hasShared ? 'vision_semantic graph vs fo1-golden qwen/' : NO_SHARED, () => {
  const dir = sharedAsset('fo1-golden', 'qwen');
  let weights: Checkpoint, tensors: Checkpoint, cfg: VisionSemanticConfig;
  let grid: [number, number, number], pixels: Tensor, feeds: Feeds, lastLevel: string, fp32: Uint8Array;

  beforeAll(async () => {
    const json = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    weights = await Checkpoint.openFile(`${dir}/weights.safetensors`);
    tensors = await Checkpoint.openFile(`${dir}/tensors.safetensors`);
    cfg = { vision: parseVision(json), projectorType: 'identity' };
    grid = Array.from((await tensors.get('input.image_grid_thw')).data) as [number, number, number];
    pixels = await tensors.get('input.pixel_values');
    feeds = layoutFeeds(cfg, grid[1], grid[2], pixels);
    lastLevel = `output.vit_level${cfg.vision.fullattBlockIndexes.length - 1}`;
    fp32 = await buildGraph(weights, cfg, 'fp32', Infinity);
  });
  afterAll(async () => {
    await weights?.close();
    await tensors?.close();
  });

  it('takes exactly pixel_values plus the vit-layout feeds', () => {
    const names = VISION_SEMANTIC_IO.inputs.map((i) => i.name);
    expect(names).toEqual(['pixel_values', ...Object.keys(vitLayout(cfg.vision, 2, 2).feeds)]);
  });

  it('fp32: image_embeds and vt_map (the last gathered level) match the golden within 1e-4', async () => {
    const out = await runModel(fp32, feeds);
    const embeds = await tensors.get('output.image_embeds');
    const level = await tensors.get(lastLevel);
    expect(out.image_embeds.dims).toEqual(embeds.shape);
    expect(out.vt_map.dims).toEqual(level.shape);
    const e1 = relErr(out.image_embeds.data as Float32Array, embeds.data);
    const e2 = relErr(out.vt_map.data as Float32Array, level.data);
    console.log(`vision_semantic fp32 vs golden: image_embeds ${e1.toExponential(2)}, vt_map ${e2.toExponential(2)}`);
    expect(e1).toBeLessThanOrEqual(1e-4);
    expect(e2).toBeLessThanOrEqual(1e-4);
  });

  it('q4 (every Linear and the patch kernel int4): equals the reference on the dequantized weights, and stays near the golden', async () => {
    // minQuantK 32 quantizes every Linear of this tiny tower (K = 32, 48, 128, 1176), the worst case.
    const q = { blockSize: 32, minQuantK: 32 };
    const out = await runModel(await buildGraph(weights, cfg, 'q4', q.minQuantK), feeds);
    const ref = await visionSemanticReference(dequantized(weights, q), cfg, pixels, grid);
    const embeds = await tensors.get('output.image_embeds');
    const level = await tensors.get(lastLevel);
    const got = { embeds: out.image_embeds.data as Float32Array, vt: out.vt_map.data as Float32Array };
    const errs = {
      embedsVsDeq: relErr(got.embeds, ref.imageEmbeds.data),
      vtVsDeq: relErr(got.vt, ref.levels[ref.levels.length - 1].data),
      embedsVsGolden: rmsRelErr(got.embeds, embeds.data),
      vtVsGolden: rmsRelErr(got.vt, level.data),
    };
    console.log('vision_semantic q4 errors', Object.fromEntries(Object.entries(errs).map(([k, e]) => [k, e.toExponential(2)])));
    // (1) The graph computes exactly what its int4 weights mean (this wasm MatMulNBits accumulates in fp32).
    expect(errs.embedsVsDeq).toBeLessThanOrEqual(1e-4);
    expect(errs.vtVsDeq).toBeLessThanOrEqual(1e-4);
    // (2) Against the float weights, as RMS error / RMS value (the max-based error is one element's luck).
    //     These weights are Gaussian; a 32-block spans ≈ ±2.1σ, so the int4 step is ≈ 4.2σ/15 = 0.28σ
    //     and round-to-nearest leaves 0.28σ/√12 ≈ 8% RMS noise per weight, hence per Linear output.
    //     Independent noise from the L quantized Linears adds at most in quadrature: 8%·√L
    //     (residual paths only shrink it).
    const L = quantizedLinears(weights, q.minQuantK).length; // 23 here
    const bound = 0.08 * Math.sqrt(L);
    expect(errs.embedsVsGolden).toBeLessThanOrEqual(bound);
    expect(errs.vtVsGolden).toBeLessThanOrEqual(bound);
  });

  it('q4 as wasm runs it (its Linears int8, src/engine/encoders/int8-linears.ts) stays within the q4 bound of the golden', async () => {
    const q = { blockSize: 32, minQuantK: 32 };
    const q4 = await buildGraph(weights, cfg, 'q4', q.minQuantK);
    const { bytes, linears } = int8Linears({ graph: q4, externalData: [] }, 'vision_semantic');
    const L = quantizedLinears(weights, q.minQuantK).length;
    expect(linears).toBe(L); // every Linear, the patch kernel (a MatMul over flattened patches) too
    const [out, int4] = [await runModel(bytes.graph, feeds), await runModel(q4, feeds)];
    const embeds = await tensors.get('output.image_embeds');
    const level = await tensors.get(lastLevel);
    const errs = {
      embedsVsQ4: rmsRelErr(out.image_embeds.data as Float32Array, int4.image_embeds.data as Float32Array),
      embedsVsGolden: rmsRelErr(out.image_embeds.data as Float32Array, embeds.data),
      vtVsGolden: rmsRelErr(out.vt_map.data as Float32Array, level.data),
    };
    console.log('vision_semantic q4 → int8 errors', Object.fromEntries(Object.entries(errs).map(([k, e]) => [k, e.toExponential(2)])));
    // Each Linear adds int8's rounding of its weight (step max|W[n,:]|/127 ≈ 3σ/127, RMS ≈ 0.7%) and of its
    // input (uint8 over the tensor's range, ≈ 6σ/255: ≈ 0.7%), ≈ 1% together; independent over L Linears: 1%·√L.
    expect(errs.embedsVsQ4).toBeLessThanOrEqual(0.01 * Math.sqrt(L));
    expect(errs.embedsVsGolden).toBeLessThanOrEqual(0.08 * Math.sqrt(L));
    expect(errs.vtVsGolden).toBeLessThanOrEqual(0.08 * Math.sqrt(L));
  });

  it('fp16 and q4f16 (float16 activations, float32 RMSNorms and softmax) stay within float16 rounding of fp32 and q4', async () => {
    // float16 rounds each weight and each activation between ops by ≤ 2⁻¹¹ ≈ 4.9e-4 relative; the tower's
    // ~10 roundings per block over 4 blocks plus the merger add in quadrature to ≈ 4.9e-4·√45 ≈ 3.3e-3 of the
    // output's max: the bound is 1e-2 (issue 2's fp16 budget). q4f16 is q4 with the same float16 rounding.
    const q = { blockSize: 32, minQuantK: 32 };
    const [fp16, q4f16, q4] = await Promise.all([buildGraph(weights, cfg, 'fp16', Infinity), buildGraph(weights, cfg, 'q4f16', q.minQuantK), buildGraph(weights, cfg, 'q4', q.minQuantK)].map(async (m) => runModel(await m, feeds)));
    const embeds = await tensors.get('output.image_embeds');
    const level = await tensors.get(lastLevel);
    expect(fp16.image_embeds.type).toBe('float32');
    const errs = {
      embedsFp16: relErr(fp16.image_embeds.data as Float32Array, embeds.data),
      vtFp16: relErr(fp16.vt_map.data as Float32Array, level.data),
      embedsQ4f16: relErr(q4f16.image_embeds.data as Float32Array, q4.image_embeds.data as Float32Array),
      vtQ4f16: relErr(q4f16.vt_map.data as Float32Array, q4.vt_map.data as Float32Array),
    };
    console.log('vision_semantic float16 errors (fp16 vs golden, q4f16 vs q4)', Object.fromEntries(Object.entries(errs).map(([k, e]) => [k, e.toExponential(2)])));
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThanOrEqual(1e-2);
  });

  it('full attention over query chunks (3 here, the last one padded) computes the same as one chunk, in fp32 and q4f16', async () => {
    // The golden grid runs in one chunk at the real bound (2^26 scores); a bound of nh·N·c scores makes each
    // MultiHeadAttention call take c = ⌈N/3⌉ + 1 queries, so the Scan runs 3 chunks with pad rows in the last.
    const N = grid[1] * grid[2];
    const c = Math.ceil(N / 3) + 1;
    const bound = cfg.vision.numHeads * N * c;
    const q = { blockSize: 32, minQuantK: 32 };
    const [chunked, chunkedQ4f16, q4f16] = await Promise.all([buildGraph(weights, cfg, 'fp32', Infinity, bound), buildGraph(weights, cfg, 'q4f16', q.minQuantK, bound), buildGraph(weights, cfg, 'q4f16', q.minQuantK)].map(async (m) => runModel(await m, feeds)));
    const embeds = await tensors.get('output.image_embeds');
    const level = await tensors.get(lastLevel);
    expect(relErr(chunked.image_embeds.data as Float32Array, embeds.data)).toBeLessThanOrEqual(1e-4);
    expect(relErr(chunked.vt_map.data as Float32Array, level.data)).toBeLessThanOrEqual(1e-4);
    // q4f16 chunked reads the whole attention in float32 (the Scan's body), unchunked in float16.
    expect(relErr(chunkedQ4f16.image_embeds.data as Float32Array, q4f16.image_embeds.data as Float32Array)).toBeLessThanOrEqual(1e-2);
    expect(relErr(chunkedQ4f16.vt_map.data as Float32Array, q4f16.vt_map.data as Float32Array)).toBeLessThanOrEqual(1e-2);
  });

  // Divisible by the window (the reference pads a whole empty window), a single merged token, tall.
  it.each([[16, 16], [2, 2], [6, 22]])('fp32 equals the reference on other grids too: %i×%i', async (gh, gw) => {
    const K = pixels.shape[1];
    const px = randomTensor([gh * gw, K], gh * 100 + gw, 1);
    const out = await runModel(fp32, layoutFeeds(cfg, gh, gw, px));
    const ref = await visionSemanticReference(weights, cfg, px, [1, gh, gw]);
    expect(relErr(out.image_embeds.data as Float32Array, ref.imageEmbeds.data)).toBeLessThanOrEqual(1e-4);
    expect(relErr(out.vt_map.data as Float32Array, ref.levels[ref.levels.length - 1].data)).toBeLessThanOrEqual(1e-4);
  });

  it.each(['linear', 'mlp2x_gelu'] as ProjectorType[])('fp32 with a %s mm_projector matches the reference within 1e-4', async (type) => {
    const p = PREFIX.proj.slice(0, -1);
    const D = cfg.vision.outHiddenSize;
    const extra = new Map<string, Tensor>(
      type === 'linear'
        ? [[`${p}.weight`, randomTensor([D + 8, D], 1, 0.3)], [`${p}.bias`, randomTensor([D + 8], 2, 0.1)]]
        : [[`${p}.0.weight`, randomTensor([D + 8, D], 3, 0.3)], [`${p}.0.bias`, randomTensor([D + 8], 4, 0.1)], [`${p}.2.weight`, randomTensor([D + 8, D + 8], 5, 0.3)], [`${p}.2.bias`, randomTensor([D + 8], 6, 0.1)]],
    );
    const w = withExtra(weights, extra);
    const c = { ...cfg, projectorType: type };
    const out = await runModel(await buildGraph(w, c, 'fp32', Infinity), feeds);
    const ref = await visionSemanticReference(w, c, pixels, grid);
    expect(out.image_embeds.dims).toEqual(ref.imageEmbeds.shape);
    expect(relErr(out.image_embeds.data as Float32Array, ref.imageEmbeds.data)).toBeLessThanOrEqual(1e-4);
  });

  it('refuses a config it cannot build, naming the key', async () => {
    const g = new Graph('bad');
    const ctx = { w: weights, format: 'fp32' as const, blockSize: 32, minQuantK: Infinity };
    await expect(emitVisionSemantic(g, ctx, { ...cfg, vision: { ...cfg.vision, fullattBlockIndexes: [cfg.vision.depth] } })).rejects.toThrow(/fullatt_block_indexes has 4/);
    await expect(emitVisionSemantic(new Graph('bad2'), ctx, { ...cfg, projectorType: 'linear' })).rejects.toThrow(/needs tensor model.mm_projector.weight/);
  });
});
