import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../src/testing/close.ts';
import { hasShared, NO_SHARED } from '../src/testing/shared.ts';
import { openRegionGolden, regionGoldenDirs } from './region-golden.ts';
import { regionEncoder, regionsOnPyramid } from './region-encoder.ts';

describe.skipIf(!hasShared)(hasShared ? 'HFRE + projector reference vs fo1-golden' : NO_SHARED, () => {
  for (const dir of regionGoldenDirs()) {
    it(`${basename(dir)}: SimpleFP, pooled features, box embedding and region embeds within 1e-4`, async () => {
      const gold = await openRegionGolden(dir);
      const { json, region } = gold;
      // The parsed config must agree with what the fixture says the reference used.
      expect(region.simpleFpnLayerNormEps).toBe(json.simple_fpn.layernorm_eps);
      expect([...region.simpleFpnStrides]).toEqual(json.simple_fpn.strides);
      expect(region.auxSpatialScale).toBe(json.aux_spatial_scale);
      expect(region.applyRegionLayerNorm).toBe(json.mm_apply_region_layer_norm);
      expect(gold.davit.layerNormEps).toBe(json.davit_layernorm_eps);

      const out = await regionEncoder(gold.weights, region, gold.patchSize, {
        vtMap: await gold.get('input.vt_map'),
        davitStages: await Promise.all([0, 1, 2, 3].map((i) => gold.get(`output.davit_stage${i}`))),
        auxBoxes: await gold.get('input.aux_boxes'),
        vtBoxes: await gold.get('input.vt_boxes'),
      });
      for (const [i, level] of out.simpleFpn.entries()) {
        const want = await gold.get(`output.simple_fpn${i}`);
        expect(level.shape).toEqual(want.shape);
        expectClose(level.data, want.data, 1e-4, `simple_fpn${i}`);
      }
      for (const [name, t] of [['region_features_no_pos', out.featuresNoPos], ['region_features', out.features], ['region_embeds', out.embeds]] as const) {
        const want = await gold.get(`output.${name}`);
        expect(t.shape).toEqual(want.shape);
        expectClose(t.data, want.data, 1e-4, name);
      }
      await gold.close();
    });

    it(`${basename(dir)}: the box-dependent step alone, on the golden SimpleFP levels, gives the region tensors within 1e-4`, async () => {
      const gold = await openRegionGolden(dir);
      const vtMap = await gold.get('input.vt_map');
      const out = await regionsOnPyramid(gold.weights, gold.region, gold.patchSize, {
        pyramid: await Promise.all([0, 1, 2, 3].map((i) => gold.get(`output.simple_fpn${i}`))),
        vtGrid: [vtMap.shape[2], vtMap.shape[3]],
        davitStages: await Promise.all([0, 1, 2, 3].map((i) => gold.get(`output.davit_stage${i}`))),
        auxBoxes: await gold.get('input.aux_boxes'),
        vtBoxes: await gold.get('input.vt_boxes'),
      });
      for (const [name, t] of [['region_features_no_pos', out.featuresNoPos], ['region_features', out.features], ['region_embeds', out.embeds]] as const) {
        const want = await gold.get(`output.${name}`);
        expectClose(t.data, want.data, 1e-4, name);
      }
      await gold.close();
    });
  }
});
