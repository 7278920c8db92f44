import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasShared, NO_SHARED } from '../src/testing/shared.ts';
import { expectClose } from '../src/testing/close.ts';
import { visionPerception } from './vision-perception.ts';
import { davitFixtureNames, loadDavitFixture, type DavitFixture } from './vision-perception.golden.ts';
import { conv2d } from './conv2d.ts';
import { tensor } from './tensor.ts';

describe('conv2d', () => {
  it('matches a hand-computed strided, padded and grouped conv', () => {
    // 1×1 input channel pair, 3×3 image, kernel of ones: each output sums its in-bounds 2×2 window.
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90], [1, 2, 3, 3]);
    const w = tensor(new Float32Array(8).fill(1), [2, 1, 2, 2]);
    const y = conv2d(x, w, tensor([0, 0.5], [2]), { stride: 2, padding: 1, groups: 2 });
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(Array.from(y.data)).toEqual([1, 5, 11, 28, 10.5, 50.5, 110.5, 280.5]);
  });
});

describe.skipIf(!hasShared)(`DaViT reference vs fo1-golden ${hasShared ? '' : NO_SHARED}`, () => {
  describe.each(davitFixtureNames())('%s', (name) => {
    let fx: DavitFixture;
    beforeAll(async () => { fx = await loadDavitFixture(name); });
    afterAll(async () => { await fx?.weights.close(); });

    it('parseDavit derives the fixture config from the tensor shapes', () => {
      const d = fx.json.davit;
      expect({
        dim_embed: fx.cfg.dimEmbed, depths: fx.cfg.depths, num_heads: fx.cfg.numHeads, num_groups: fx.cfg.numGroups,
        patch_size: fx.cfg.patchSize, patch_stride: fx.cfg.patchStride, patch_padding: fx.cfg.patchPadding,
        patch_prenorm: fx.cfg.patchPrenorm, window_size: fx.cfg.windowSize, mlp_ratio: fx.cfg.mlpRatio,
      }).toEqual(d);
      expect(fx.cfg.layerNormEps).toBe(fx.json.davit_layernorm_eps ?? 1e-5);
    });

    it('reproduces every stage map within 1e-4', async () => {
      const outs = await visionPerception(fx.weights, fx.cfg, fx.image);
      outs.forEach((o, i) => {
        expect(o.shape).toEqual(fx.stages[i].shape);
        expectClose(o.data, fx.stages[i].data, 1e-4, `stage${i}`);
      });
    });
  });
});
