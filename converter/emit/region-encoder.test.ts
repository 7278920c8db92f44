import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionEncoder, type RegionEncoderOutputs } from '../../reference/region-encoder.ts';
import { boxRows, openRegionGolden, regionGoldenDirs, type RegionGolden } from '../../reference/region-golden.ts';
import { gelu, linear, tensor, type Tensor } from '../../reference/tensor.ts';
import { regionEncoderFeeds } from '../../src/engine/regions/region-feeds.ts';
import { expectClose, maxAbs, relErr } from '../../src/testing/close.ts';
import { f32, runModel, type Feeds } from '../../src/testing/ort.ts';
import { hasShared, NO_SHARED } from '../../src/testing/shared.ts';
import { dtypeBuild } from '../convert.ts';
import { Graph, inlineWeights } from '../../src/onnx/graph.ts';
import type { ModelDtype } from '../../src/model-folder/manifest.ts';
import { f16KernelsRounded } from '../quantize/f16.ts';
import { dequantizeQ4, q4RoundTripped, quantizeQ4 } from '../quantize/q4.ts';
import type { WeightSource } from '../read/checkpoint.ts';
import type { EmitContext, WeightFormat } from './linear.ts';
import { emitRegionEncoder } from './region-encoder.ts';
import { emitRegionPyramid } from './region-pyramid.ts';
import { REGION_ENCODER_IO, REGION_PYRAMID_IO } from '../../src/model-folder/graph-io.ts';
import type { AuxBox, PixelBox, VtBox } from '../../src/model-folder/boxes.ts';

const Q4_BLOCK = 32;
const ctxFor = (gold: RegionGolden, format: WeightFormat): EmitContext =>
  // minQuantK 0: both projector Linears go int4 in the q4 graph, so the q4 test covers them.
  ({ w: gold.weights, format, blockSize: Q4_BLOCK, minQuantK: 0 });

/** The region_encoder graph plus the golden's intermediate tensors as extra outputs. */
async function buildEncoder(gold: RegionGolden, dtype: ModelDtype): Promise<Uint8Array> {
  const { format, graph } = dtypeBuild(dtype);
  const g = new Graph('region_encoder', inlineWeights, graph);
  const v = await emitRegionEncoder(g, ctxFor(gold, format), { region: gold.region, davit: gold.davit });
  g.output(v.featuresNoPos, 'region_features_no_pos', 'float32', ['num_regions', 'region_hidden_size']);
  g.output(v.features, 'region_features', 'float32', ['num_regions', 'region_hidden_size']);
  return g.encode();
}

/** The region_pyramid graph as the converter emits it. */
async function buildPyramid(gold: RegionGolden, dtype: ModelDtype): Promise<Uint8Array> {
  const { format, graph } = dtypeBuild(dtype);
  const g = new Graph('region_pyramid', inlineWeights, graph);
  await emitRegionPyramid(g, ctxFor(gold, format), gold.region);
  return g.encode();
}

/** Golden maps + engine-computed box inputs, as the app would feed them; the pyramid levels come per dtype. */
async function goldenFeeds(gold: RegionGolden): Promise<{ vtMap: Feeds; boxes: Feeds }> {
  // The golden stores the boxes already in the aux and vt frames.
  const toBoxes = <B extends PixelBox>(t: Tensor) => boxRows(t).map(([x1, y1, x2, y2]) => ({ x1, y1, x2, y2 }) as B);
  const vtMap = await gold.get('input.vt_map');
  const stages = await Promise.all([0, 1, 2, 3].map((l) => gold.get(`output.davit_stage${l}`)));
  const geo = { auxLevels: stages.map((s) => [s.shape[2], s.shape[3]] as const), vtGrid: [vtMap.shape[2], vtMap.shape[3]] as const, patchSize: gold.patchSize };
  const feeds: Feeds = {};
  stages.forEach((s, l) => { feeds[`davit_stage${l}`] = f32(s.data, [...s.shape]); });
  const boxes = regionEncoderFeeds(toBoxes<AuxBox>(await gold.get('input.aux_boxes')), toBoxes<VtBox>(await gold.get('input.vt_boxes')), geo, gold.region);
  for (const [name, t] of Object.entries(boxes)) feeds[name] = f32(t.data, t.dims);
  return { vtMap: { vt_map: f32(vtMap.data, [...vtMap.shape]) }, boxes: feeds };
}

/**
 * The engine's path for one dtype: region_pyramid on the ViT map, its levels fed to region_encoder with the
 * box inputs (src/engine/model.ts encodeRegions).
 */
async function runRegions(gold: RegionGolden, dtype: ModelDtype, feeds: { vtMap: Feeds; boxes: Feeds }): Promise<Feeds> {
  const levels = await runModel(await buildPyramid(gold, dtype), feeds.vtMap);
  const all = { ...levels, ...feeds.boxes };
  expect(Object.keys(all).sort()).toEqual(REGION_ENCODER_IO.inputs.map((i) => i.name).sort());
  return runModel(await buildEncoder(gold, dtype), all);
}

/** The checkpoint as the q4 graph sees it: every Linear int4-rounded, every conv kernel float16-rounded. */
function dequantizedLinears(w: WeightSource): WeightSource {
  return q4RoundTripped(f16KernelsRounded(w), Q4_BLOCK, 0);
}

/**
 * The q4 error bound of the mlp2x_gelu projector for these inputs (only its Linears are int4; SimpleFP's
 * conv kernels are float16, ≤ 2⁻¹¹ relative per weight, negligible next to int4; the region norms stay fp32). Round-to-nearest errors ΔW have signs independent of the
 * activations, so Δh_n = Σ_k ΔW1_nk·x_k has std √Σ(ΔW1_nk·x_k)²; GELU(erf) is 1.13-Lipschitz; then
 * Δy = Ŵ2·Δa + ΔW2·a likewise. The bound is 5σ of the worst output (the worst-case |ΔW|·|x| sum is
 * vacuous here: > 2× max|y|), from the actual rounding of the actual weights.
 */
async function q4ProjectorBound(w: WeightSource, x: Tensor): Promise<number> {
  const p = 'model.mm_projector_aux';
  const W1 = await w.get(`${p}.0.weight`), W2 = await w.get(`${p}.2.weight`);
  const dq = (t: Tensor) => tensor(dequantizeQ4(quantizeQ4(t.data, t.shape[0], t.shape[1], Q4_BLOCK)), t.shape);
  const sq = (t: Tensor) => tensor(t.data.map((v) => v * v), t.shape);
  const sqDiff = (a: Tensor, b: Tensor) => tensor(a.data.map((v, i) => (v - b.data[i]) ** 2), a.shape);
  const a = gelu(linear(x, W1, await w.get(`${p}.0.bias`))); // (K, hidden)
  const varA = linear(sq(x), sqDiff(W1, dq(W1))).data.map((v) => 1.13 ** 2 * v); // (K, hidden)
  const fromW2 = linear(sq(a), sqDiff(W2, dq(W2))).data; // (K, hidden)
  const varY = linear(tensor(varA, a.shape), sq(dq(W2))).data.map((v, i) => v + fromW2[i]);
  return 5 * Math.sqrt(maxAbs(varY));
}

describe.skipIf(!hasShared)(hasShared ? 'region_pyramid → region_encoder graphs vs fo1-golden' : NO_SHARED, () => {
  describe.each(regionGoldenDirs().map((d) => [basename(d), d]))('%s', (_name, dir) => {
    let gold: RegionGolden;
    let feeds: { vtMap: Feeds; boxes: Feeds };
    beforeAll(async () => {
      gold = await openRegionGolden(dir);
      feeds = await goldenFeeds(gold);
    });
    afterAll(async () => { await gold?.close(); });

    it('refuses a config without the box position embedding, naming the key', async () => {
      const region = { ...gold.region, applyPositionEmbedding: false };
      await expect(emitRegionEncoder(new Graph('r'), ctxFor(gold, 'fp32'), { region, davit: gold.davit })).rejects.toThrow(/mm_apply_position_embedding = false/);
    });

    it('region_pyramid graph: fpn_level0..3 match output.simple_fpn0..3 within 1e-4', async () => {
      const out = await runModel(await buildPyramid(gold, 'fp32'), feeds.vtMap);
      expect(Object.keys(out).sort()).toEqual(REGION_PYRAMID_IO.outputs.map((o) => o.name).sort());
      for (let l = 0; l < 4; l++) {
        const want = await gold.get(`output.simple_fpn${l}`);
        expect(out[`fpn_level${l}`].dims).toEqual(want.shape);
        expectClose(out[`fpn_level${l}`].data as Float32Array, want.data, 1e-4, `fpn_level${l}`);
      }
    });

    it('fp32 graphs: region_features_no_pos, region_features, region_embeds within 1e-4', async () => {
      const out = await runRegions(gold, 'fp32', feeds);
      for (const name of ['region_features_no_pos', 'region_features', 'region_embeds']) {
        const want = await gold.get(`output.${name}`);
        expect(out[name].dims).toEqual(want.shape);
        expectClose(out[name].data as Float32Array, want.data, 1e-4, name);
      }
    });

    it('q4 graphs: exact to their int4 weights, and within the 5σ int4-rounding bound of fp32', async () => {
      const out = (await runRegions(gold, 'q4', feeds)).region_embeds.data as Float32Array;
      const inputs = {
        vtMap: await gold.get('input.vt_map'),
        davitStages: await Promise.all([0, 1, 2, 3].map((l) => gold.get(`output.davit_stage${l}`))),
        auxBoxes: await gold.get('input.aux_boxes'),
        vtBoxes: await gold.get('input.vt_boxes'),
      };
      const q: RegionEncoderOutputs = await regionEncoder(dequantizedLinears(gold.weights), gold.region, gold.patchSize, inputs);
      expectClose(out, q.embeds.data, 1e-4, 'q4 graph vs reference with int4-rounded projector and float16 kernels');
      // Only the projector is quantized (SimpleFP's float16 kernels add ~2⁻¹¹-relative rounding), so the
      // q4 − fp32 gap is bounded by the rounding bound computed from the actual weights and features.
      const features = await gold.get('output.region_features');
      const want = await gold.get('output.region_embeds');
      const bound = (await q4ProjectorBound(gold.weights, features)) / maxAbs(want.data);
      const err = relErr(out, want.data);
      expect(err, `q4 relative error ${err.toExponential(3)} > bound ${bound.toExponential(3)}`).toBeLessThanOrEqual(bound);
    });

    it('fp16 and q4f16 graphs stay within float16 rounding of the golden and of q4', async () => {
      // region_pyramid's levels leave it as float32 copies of float16 values and region_encoder casts them back
      // exactly, so the split adds no rounding: the budget below is the one-graph encoder's.
      // The maps arrive float32 and are rounded once to float16 (≤ 2⁻¹¹ ≈ 4.9e-4 relative), as are the pooling
      // weights, conv kernels and activations between ops (LayerNorms run in float32); the ~12 roundings on the
      // deepest path (SimpleFP's simfp_1 chain, pooling, projector) add in quadrature to ≈ 1.7e-3 of the output's
      // max: the bound is 1e-2 (issue 2's fp16 budget). q4f16 is q4 with the same float16 rounding.
      const [fp16, q4f16, q4] = await Promise.all((['fp16', 'q4f16', 'q4'] as const).map((d) => runRegions(gold, d, feeds)));
      for (const name of ['region_features_no_pos', 'region_features', 'region_embeds']) {
        const want = await gold.get(`output.${name}`);
        expect(fp16[name].type).toBe('float32');
        const e16 = relErr(fp16[name].data as Float32Array, want.data);
        const eq = relErr(q4f16[name].data as Float32Array, q4[name].data as Float32Array);
        console.log(`region_encoder ${name}: fp16 vs golden ${e16.toExponential(2)}, q4f16 vs q4 ${eq.toExponential(2)}`);
        expect(e16, `fp16 ${name}`).toBeLessThanOrEqual(1e-2);
        expect(eq, `q4f16 ${name}`).toBeLessThanOrEqual(1e-2);
      }
    });
  });
});
