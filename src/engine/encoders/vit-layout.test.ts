import { describe, expect, it } from 'vitest';
import { getWindowIndex, rotPosEmb } from '../../../reference/vision-semantic.ts';
import { MASKED, vitLayout, type VitGeometry } from './vit-layout.ts';

// Qwen2.5-VL's geometry with a small width: window 112 px = 4×4 merged tokens = 64 patches.
const GEOM: VitGeometry = { hiddenSize: 32, numHeads: 2, patchSize: 14, spatialMergeSize: 2, windowSize: 112 };
const HD = GEOM.hiddenSize / GEOM.numHeads;
const M = GEOM.spatialMergeSize;
const VW = GEOM.windowSize / M / GEOM.patchSize;

// Grids: not divisible by the window (the golden 12×20), divisible (the reference pads a whole
// window of empties), tall and narrow, and a single merged token.
const GRIDS: [number, number][] = [[12, 20], [16, 16], [22, 6], [2, 2]];

/**
 * The reference's own view, computed independently of vit-layout: window-ordered patches split at
 * cu_window_seqlens (get_window_index), and each patch's (h, w) as rot_pos_emb assigns it
 * (inv_freq[0] = 1, so its columns 0 and hd/4 are h and w themselves).
 */
function referenceView(gh: number, gw: number) {
  const { windowIndex, cuWindowSeqlens } = getWindowIndex(gh, gw, M, VW);
  const permuted = windowIndex.flatMap((merged) => [0, 1, 2, 3].map((u) => merged * 4 + u));
  const windows = cuWindowSeqlens.slice(1).map((end, i) => permuted.slice(cuWindowSeqlens[i], end));
  const rpe = rotPosEmb(gh, gw, M, HD); // (N, hd/2)
  const pos = Array.from({ length: gh * gw }, (_, p) => [rpe.data[p * (HD / 2)], rpe.data[p * (HD / 2) + HD / 4]]);
  return { windows, rpe, pos };
}

describe('vitLayout', () => {
  it.each(GRIDS)('gathers each window of a %i×%i grid exactly as get_window_index splits it', (gh, gw) => {
    const L = vitLayout(GEOM, gh, gw);
    const { windows } = referenceView(gh, gw);
    const { window_index, window_bias } = L.feeds;
    expect(L.numWindows).toBe(windows.length);
    expect(window_index.dims).toEqual([windows.length, VW * VW * M * M]);
    expect(window_bias.dims).toEqual([windows.length, 1, 1, L.windowSlots]);
    windows.forEach((patches, w) => {
      const S = L.windowSlots;
      const real = Array.from({ length: S }, (_, s) => s).filter((s) => window_bias.data[w * S + s] === 0);
      const pad = Array.from({ length: S }, (_, s) => s).filter((s) => window_bias.data[w * S + s] !== 0);
      expect(real.map((s) => Number(window_index.data[w * S + s]))).toEqual(patches);
      for (const s of pad) expect(window_bias.data[w * S + s]).toBe(MASKED);
      for (const s of pad) expect(Number(window_index.data[w * S + s])).toBe(0); // in range, masked
    });
  });

  it.each(GRIDS)('window_scatter sends every patch of a %i×%i grid back from its slot', (gh, gw) => {
    const { feeds } = vitLayout(GEOM, gh, gw);
    const scatter = Array.from(feeds.window_scatter.data, Number);
    expect(new Set(scatter).size).toBe(gh * gw);
    scatter.forEach((slot, p) => {
      expect(Number(feeds.window_index.data[slot])).toBe(p);
      expect(feeds.window_bias.data[slot]).toBe(0);
    });
  });

  it.each(GRIDS)('rope cos/sin of a %i×%i grid are cos/sin(cat(rpe, rpe)) of rot_pos_emb, processor order', (gh, gw) => {
    const { feeds } = vitLayout(GEOM, gh, gw);
    const { rpe } = referenceView(gh, gw);
    const N = gh * gw;
    expect(feeds.rope_cos.dims).toEqual([N, HD]);
    for (let p = 0; p < N; p++)
      for (let d = 0; d < HD; d++) {
        const angle = rpe.data[p * (HD / 2) + (d % (HD / 2))];
        expect(feeds.rope_cos.data[p * HD + d]).toBeCloseTo(Math.cos(angle), 6);
        expect(feeds.rope_sin.data[p * HD + d]).toBeCloseTo(Math.sin(angle), 6);
      }
  });

  it.each(GRIDS)('raster_index of a %i×%i grid puts the patch at (h, w) at raster position h·gw + w', (gh, gw) => {
    const { feeds } = vitLayout(GEOM, gh, gw);
    const { pos } = referenceView(gh, gw);
    expect(feeds.raster_index.dims).toEqual([gh, gw]);
    feeds.raster_index.data.forEach((p, r) => expect(pos[Number(p)]).toEqual([Math.floor(r / gw), r % gw]));
  });

  it('refuses grids and geometries the ViT cannot take, naming the value', () => {
    expect(() => vitLayout(GEOM, 13, 20)).toThrow(/gh = 13 must be a positive multiple of spatial_merge_size 2/);
    expect(() => vitLayout(GEOM, 12, 0)).toThrow(/gw = 0/);
    expect(() => vitLayout({ ...GEOM, windowSize: 100 }, 12, 20)).toThrow(/window_size 100 px/);
    expect(() => vitLayout({ ...GEOM, numHeads: 16 }, 12, 20)).toThrow(/head_dim 32\/16 must be a multiple of 4/);
  });
});
