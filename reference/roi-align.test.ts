import { describe, expect, it } from 'vitest';
import { expectClose } from '../src/testing/close.ts';
import { basename } from 'node:path';
import { hasShared, NO_SHARED } from '../src/testing/shared.ts';
import { openRegionGolden, regionGoldenDirs } from './region-golden.ts';
import { roiAlign, roiAlignMean } from './roi-align.ts';
import { tensor } from './tensor.ts';

// A 4×4 ramp v(y, x) = 1 + 4y + x: bilinear sampling of a linear function is exact, so the mean of a box's
// samples is the ramp at the samples' mean point — easy to check by hand.
const ramp = tensor(Array.from({ length: 16 }, (_, i) => 1 + i), [1, 1, 4, 4]);
const v = (y: number, x: number) => 1 + 4 * y + x;
const pool = (box: number[], spatialScale = 1, outputSize = 1) =>
  roiAlignMean(ramp, tensor(box, [1, 4]), { outputSize, spatialScale }).data[0];

describe('roiAlign by hand (torchvision, aligned=False, sampling_ratio=-1)', () => {
  it('interior box: 2×2 samples at 1 and 2 → ramp at (1.5, 1.5)', () => {
    expect(pool([0.5, 0.5, 2.5, 2.5])).toBeCloseTo(v(1.5, 1.5), 6);
  });
  it('box on the far edge: the sample at 3.5 collapses onto the last row/column', () => {
    expect(pool([3, 3, 4, 4])).toBeCloseTo(v(3, 3), 6);
  });
  it('box fully outside: every sample is beyond H/W → 0', () => {
    expect(pool([10, 10, 12, 12])).toBe(0);
    expect(pool([-3, -3, -2, -2])).toBe(0);
  });
  it('sample in [−1, 0) is clamped to 0, not dropped', () => {
    expect(pool([-1.5, -1.5, -0.5, -0.5])).toBeCloseTo(v(0, 0), 6);
  });
  it('zero-area box grows to one cell from x1 (sample at x1 + ½)', () => {
    expect(pool([1, 1, 1, 1])).toBeCloseTo(v(1.5, 1.5), 6);
  });
  it('1-px box at stride 4 is one feature cell: sample at 1.5', () => {
    expect(pool([4, 4, 5, 5], 0.25)).toBeCloseTo(v(1.5, 1.5), 6);
  });
  it('R = 2 over a 3-cell box: bins of 1.5 with ceil(1.5) = 2 samples each', () => {
    const out = roiAlign(ramp, tensor([0, 0, 0, 3, 3], [1, 5]), { outputSize: 2, spatialScale: 1 });
    // bin 0 samples 0.375, 1.125 → 0.75; bin 1 samples 1.875, 2.625 → 2.25
    expect(Array.from(out.data)).toEqual([v(0.75, 0.75), v(0.75, 2.25), v(2.25, 0.75), v(2.25, 2.25)].map((x) => expect.closeTo(x, 5)));
  });
  it('rejects malformed rois', () => {
    expect(() => roiAlign(ramp, tensor([0, 0, 1, 1], [1, 4]), { outputSize: 1, spatialScale: 1 })).toThrow(/\(K, 5\)/);
    expect(() => roiAlign(ramp, tensor([1, 0, 0, 1, 1], [1, 5]), { outputSize: 1, spatialScale: 1 })).toThrow(/batch index 1/);
  });
});

describe.skipIf(!hasShared)(hasShared ? 'roiAlign vs torchvision (fo1-golden roi.*)' : NO_SHARED, () => {
  for (const dir of regionGoldenDirs()) {
    const fixture = basename(dir);
    it(`${fixture}: every roi case within 1e-4`, async () => {
      const gold = await openRegionGolden(dir);
      const map = await gold.get('roi.feature_map');
      const rois = await gold.get('roi.boxes_batch_x1y1x2y2');
      const cases = Object.entries(gold.json.roi_cases.outputs);
      expect(cases.length).toBeGreaterThan(0);
      for (const [name, o] of cases) {
        const out = roiAlign(map, rois, { outputSize: o.output_size, spatialScale: o.spatial_scale });
        const want = await gold.get(name);
        expect(out.shape).toEqual(want.shape);
        expectClose(out.data, want.data, 1e-4, `${fixture} ${name}`);
      }
      await gold.close();
    });
  }
});
