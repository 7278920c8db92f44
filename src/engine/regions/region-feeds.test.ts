import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auxRegionFeatures, boxSineEmbedding as referenceEmbedding, vtRegionFeatures } from '../../../reference/region-encoder.ts';
import { openRegionGolden, regionGoldenDirs, type RegionGolden } from '../../../reference/region-golden.ts';
import { simpleFpn } from '../../../reference/simple-fpn.ts';
import { concat, tensor, type Tensor } from '../../../reference/tensor.ts';
import { REGION_ENCODER_IO } from '../../model-folder/graph-io.ts';
import { expectClose } from '../../testing/close.ts';
import { hasShared, NO_SHARED } from '../../testing/shared.ts';
import type { AuxBox, VtBox } from '../../model-folder/boxes.ts';
import { boxFrames, validateBoxes } from '../preprocess/boxes.ts';
import { regionEncoderFeeds, regionWeightBytes, simpleFpnSizes, type RegionGeometry } from './region-feeds.ts';

/** Σ_i W[k, i] · map[c, i] for every level, concatenated like HFRE: (K, ΣC). */
function pool(feeds: ReturnType<typeof regionEncoderFeeds>, names: string[], maps: Tensor[]): Tensor {
  return concat(names.map((n, l) => {
    const { data: W, dims: [K, HW] } = feeds[n];
    const C = maps[l].shape[1];
    const out = new Float32Array(K * C);
    for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < HW; i++) s += W[k * HW + i] * maps[l].data[c * HW + i];
      out[k * C + c] = s;
    }
    return tensor(out, [K, C]);
  }), 1);
}

async function geometry(gold: RegionGolden): Promise<{ geo: RegionGeometry; stages: Tensor[] }> {
  const stages = await Promise.all([0, 1, 2, 3].map((l) => gold.get(`output.davit_stage${l}`)));
  const [gh, gw] = gold.json.vit_grid_hw;
  return { geo: { auxLevels: stages.map((s) => [s.shape[2], s.shape[3]] as const), vtGrid: [gh, gw], patchSize: gold.patchSize }, stages };
}

describe.skipIf(!hasShared)(hasShared ? 'region encoder feeds vs fo1-golden' : NO_SHARED, () => {
  for (const dir of regionGoldenDirs()) {
    it(`${basename(dir)}: box frames, weights and box embedding reproduce the reference pooling`, async () => {
      const gold = await openRegionGolden(dir);
      const { json, region } = gold;
      const auxBoxes = await gold.get('input.aux_boxes'), vtBoxes = await gold.get('input.vt_boxes');
      // What the engine feeds: preprocess/boxes.ts frames from work-image boxes.
      const [W0, H0] = json.work_image_wh, [ah, aw] = json.aux_input_hw, [qh, qw] = json.qwen_resized_hw;
      const work = json.boxes_work_xyxy.map(([x1, y1, x2, y2]) => ({ x1, y1, x2, y2 }));
      const frames = boxFrames(validateBoxes(work, { width: W0, height: H0 }), { width: W0, height: H0 }, { width: W0, height: H0 }, { width: aw, height: ah }, { width: qw, height: qh });
      expectClose(frames.aux.flatMap((b) => [b.x1, b.y1, b.x2, b.y2]), auxBoxes.data, 1e-6, 'aux boxes');
      expectClose(frames.vt.flatMap((b) => [b.x1, b.y1, b.x2, b.y2]), vtBoxes.data, 1e-6, 'vt boxes');

      const { geo, stages } = await geometry(gold);
      const feeds = regionEncoderFeeds(frames.aux, frames.vt, geo, region);
      const K = work.length;
      for (const io of REGION_ENCODER_IO.inputs.filter((i) => i.name.includes('weights') || i.name === 'box_embedding')) {
        expect(feeds[io.name].dims[0], io.name).toBe(K);
      }
      expect(regionWeightBytes(K, geo)).toBe(Object.entries(feeds).filter(([n]) => n.includes('weights')).reduce((a, [, f]) => a + f.data.byteLength, 0));

      // Aux pooling = the reference's upsample → concat → roi_align → mean.
      const auxNames = [0, 1, 2, 3].map((l) => `aux_roi_weights_${l}`);
      const aux = pool(feeds, auxNames, stages);
      expectClose(aux.data, auxRegionFeatures(stages, auxBoxes, region).data, 1e-5, 'aux pooled vs reference');
      // ViT pooling over the golden SimpleFP levels = the reference roi_align per level.
      const levels = await Promise.all([0, 1, 2, 3].map((l) => gold.get(`output.simple_fpn${l}`)));
      expect(levels.map((t) => [t.shape[2], t.shape[3]])).toEqual(simpleFpnSizes(...geo.vtGrid));
      const vt = pool(feeds, [0, 1, 2, 3].map((l) => `vt_roi_weights_${l}`), levels);
      expectClose(vt.data, vtRegionFeatures(levels, vtBoxes, region).data, 1e-5, 'vt pooled vs reference');
      if (!region.applyRegionLayerNorm) {
        expectClose(concat([aux, vt], 1).data, (await gold.get('output.region_features_no_pos')).data, 1e-4, 'pooled vs golden');
      }

      // Box embedding = golden region_features − region_features_no_pos, and = the reference's.
      const withPos = await gold.get('output.region_features'), noPos = await gold.get('output.region_features_no_pos');
      const pe = withPos.data.map((v, i) => v - noPos.data[i]);
      expectClose(feeds.box_embedding.data, pe, 1e-4, 'box embedding vs golden');
      const [gh, gw] = geo.vtGrid;
      expectClose(feeds.box_embedding.data, referenceEmbedding(vtBoxes, gw * gold.patchSize, gh * gold.patchSize, region.regionHiddenSize).data, 1e-6, 'box embedding vs reference');
      await gold.close();
    });
  }
});

describe('regionEncoderFeeds input checks', () => {
  const geo: RegionGeometry = { auxLevels: [[8, 8], [4, 4], [2, 2], [1, 1]], vtGrid: [2, 2], patchSize: 14 };
  const cfg = { roiOutputSize: 7, regionHiddenSize: 16, auxSpatialScale: 0.25, simpleFpnStrides: [3.5, 7, 14, 28] as const, maxRegions: 100 };
  // One box taken as both frames' box: these checks are about counts and sizes, not where it lies.
  const corners = { x1: 1, y1: 2, x2: 10, y2: 12 };
  const aux = corners as AuxBox, vt = corners as VtBox;
  it('rejects no boxes, too many, mismatched frames and missing levels by name', () => {
    expect(() => regionEncoderFeeds([], [], geo, cfg)).toThrow(/0 boxes given; it takes 1 to 100/);
    expect(() => regionEncoderFeeds(Array(101).fill(aux), Array(101).fill(vt), geo, cfg)).toThrow(/101 boxes/);
    expect(() => regionEncoderFeeds([aux], [vt, vt], geo, cfg)).toThrow(/1 aux boxes but 2 vt boxes/);
    expect(() => regionEncoderFeeds([aux], [vt], { ...geo, auxLevels: geo.auxLevels.slice(0, 3) }, cfg)).toThrow(/3 DaViT level sizes/);
  });
  it('rejects a region hidden size that cannot split into cy, cx, w, h', () => {
    expect(() => regionEncoderFeeds([aux], [vt], geo, { ...cfg, regionHiddenSize: 18 })).toThrow(/18 is not divisible by 4/);
  });
  it('a weight row sums to the fraction of samples inside the map: 1 for a box well inside a level', () => {
    const feeds = regionEncoderFeeds([aux], [vt], geo, cfg);
    const sum = (n: string) => feeds[n].data.reduce((a, b) => a + b, 0);
    for (const n of ['aux_roi_weights_0', 'aux_roi_weights_3', 'vt_roi_weights_0', 'vt_roi_weights_2']) expect(sum(n), n).toBeCloseTo(1, 5);
    // On the 1×1 stride-28 level the box grows to one 28-px cell from y = 2 px, past the 28-px map:
    // its last sample row (y ≈ 1.0000001 > H in float32) is dropped, as torchvision drops it.
    expect(sum('vt_roi_weights_3')).toBeCloseTo(6 / 7, 5);
  });
});
