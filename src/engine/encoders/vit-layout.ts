// Everything position-dependent in the Qwen2.5-VL ViT (vision_semantic graph), computed in plain JS for
// a patch grid (gh, gw) so the graph needs no TopK/NonZero/loops. From the reference
// vlm_fo1/model/multimodal_encoder/qwen2_5_vl/modeling_qwen2_5_vl.py (HF Qwen2.5-VL):
//   rot_pos_emb (L436)      → rope_cos / rope_sin, one row per patch
//   get_window_index (L465) → window_index / window_bias / window_scatter (windowed attention)
// and qwen2_5_vl_encoder.py VisionFeaturesGather (L37-80) → raster_index (FO1's gather to raster order).
//
// Token order. The graph keeps the patches in the order the Qwen processor emits them (row-major over
// the merged grid, each merged token's 2×2 patches consecutive — "merge-grouped"). The reference
// permutes tokens into window order before block 0 and back after the merger; every op but attention
// is per token and full attention is permutation-equivariant, so staying in processor order computes
// the same function and makes both un-permutations (argsort(window_index)) disappear. Only windowed
// attention needs the windows: each is gathered into a padded row of S = (window/patch)² slots, pad
// slots are masked out as keys, and the result is gathered back to processor order.

/** The ViT dimensions the layout depends on (a subset of the converter's VisionConfig). */
export interface VitGeometry {
  hiddenSize: number; // 1280
  numHeads: number; // 16
  patchSize: number; // 14
  spatialMergeSize: number; // 2
  /** Window attention span in pixels (112 = 8×8 patches). */
  windowSize: number;
}

/** 2-D RoPE base, fixed in the reference (Qwen2_5_VisionRotaryEmbedding default). */
export const VIT_ROPE_THETA = 10000;

/** Additive key mask for pad slots: torch.finfo(float32).min, what the reference's eager attention adds. */
export const MASKED = -3.4028234663852886e38;

export interface LayoutTensor<D extends 'float32' | 'int64'> {
  dtype: D;
  dims: number[];
  data: D extends 'float32' ? Float32Array : BigInt64Array;
}

/** Graph inputs besides pixel_values, by graph input name (vision_semantic's I/O contract). */
export interface VitLayoutFeeds {
  /** (N, hd) cos(cat(θ_h, θ_w, θ_h, θ_w)) per patch, processor order. */
  rope_cos: LayoutTensor<'float32'>;
  /** (N, hd) the matching sin. */
  rope_sin: LayoutTensor<'float32'>;
  /** (nW, S) patch index in each window slot; pad slots point at patch 0 and are masked. */
  window_index: LayoutTensor<'int64'>;
  /** (nW, 1, 1, S) 0 for real slots, MASKED for pad slots; broadcasts over heads and queries. */
  window_bias: LayoutTensor<'float32'>;
  /** (N) flat slot (w·S + s) holding each patch: gathers windowed attention back to processor order. */
  window_scatter: LayoutTensor<'int64'>;
  /** (gh, gw) patch index at each raster position: the vt_map gather. */
  raster_index: LayoutTensor<'int64'>;
}

export interface VitLayout {
  gridH: number;
  gridW: number;
  numPatches: number; // N = gh·gw
  numWindows: number; // nW
  windowSlots: number; // S
  feeds: VitLayoutFeeds;
}

/** Patch size, merge unit and window size in merged tokens, checked against the grid. */
function checkGeometry(geom: VitGeometry, gh: number, gw: number): { m: number; vw: number; hd: number } {
  const m = geom.spatialMergeSize;
  const vw = geom.windowSize / m / geom.patchSize;
  const hd = geom.hiddenSize / geom.numHeads;
  if (!Number.isInteger(vw) || vw < 1) throw new Error(`vit-layout: window_size ${geom.windowSize} px is not a whole number of merged tokens (${m}×${geom.patchSize} px)`);
  if (!Number.isInteger(hd) || hd % 4 !== 0) throw new Error(`vit-layout: head_dim ${geom.hiddenSize}/${geom.numHeads} must be a multiple of 4 (2-D RoPE on head_dim/2 pairs)`);
  for (const [name, g] of [['gh', gh], ['gw', gw]] as const) {
    if (!Number.isInteger(g) || g < m || g % m !== 0) throw new Error(`vit-layout: grid ${name} = ${g} must be a positive multiple of spatial_merge_size ${m}`);
  }
  return { m, vw, hd };
}

/** (row, col) of patch p in processor (merge-grouped) order: rot_pos_emb's hpos_ids / wpos_ids. */
export function patchPosition(p: number, gw: number, m: number): [number, number] {
  const mw = gw / m;
  const merged = Math.floor(p / (m * m));
  const sub = p % (m * m);
  return [Math.floor(merged / mw) * m + Math.floor(sub / m), (merged % mw) * m + (sub % m)];
}

/**
 * The reference's windows: merged-token ids of each non-empty window, windows row-major, tokens
 * row-major inside (get_window_index; its all-pad windows give equal cu_seqlens and are dropped).
 */
export function mergedWindows(gh: number, gw: number, m: number, vw: number): number[][] {
  const mh = gh / m, mw = gw / m;
  const windows: number[][] = [];
  for (let wy = 0; wy < Math.ceil(mh / vw); wy++)
    for (let wx = 0; wx < Math.ceil(mw / vw); wx++) {
      const ids: number[] = [];
      for (let y = wy * vw; y < Math.min(mh, (wy + 1) * vw); y++)
        for (let x = wx * vw; x < Math.min(mw, (wx + 1) * vw); x++) ids.push(y * mw + x);
      windows.push(ids);
    }
  return windows;
}

/** cos/sin of the 2-D rotary angles, in float32 steps like the reference's float32 torch ops. */
function ropeTables(gh: number, gw: number, m: number, hd: number): { cos: Float32Array; sin: Float32Array } {
  const f = Math.fround;
  const dim = hd / 2; // Qwen2_5_VisionRotaryEmbedding(head_dim // 2)
  const q = dim / 2; // inv_freq = 1 / θ^(arange(0, dim, 2) / dim)
  const invFreq = Array.from({ length: q }, (_, i) => f(1 / f(VIT_ROPE_THETA ** f((2 * i) / dim))));
  const N = gh * gw;
  const cos = new Float32Array(N * hd), sin = new Float32Array(N * hd);
  for (let p = 0; p < N; p++) {
    const [h, w] = patchPosition(p, gw, m);
    for (let i = 0; i < q; i++) {
      const ah = f(h * invFreq[i]), aw = f(w * invFreq[i]);
      // emb = cat(rpe, rpe) with rpe = [h·inv_freq, w·inv_freq]
      for (const o of [0, dim]) {
        cos[p * hd + o + i] = Math.cos(ah);
        sin[p * hd + o + i] = Math.sin(ah);
        cos[p * hd + o + q + i] = Math.cos(aw);
        sin[p * hd + o + q + i] = Math.sin(aw);
      }
    }
  }
  return { cos, sin };
}

/** Computes every layout input of vision_semantic for a (gh, gw) patch grid. */
export function vitLayout(geom: VitGeometry, gh: number, gw: number): VitLayout {
  const { m, vw, hd } = checkGeometry(geom, gh, gw);
  const unit = m * m;
  const N = gh * gw;
  const S = vw * vw * unit;
  const windows = mergedWindows(gh, gw, m, vw);
  const nW = windows.length;

  const windowIndex = new BigInt64Array(nW * S); // pad slots → patch 0
  const windowBias = new Float32Array(nW * S).fill(MASKED);
  const windowScatter = new BigInt64Array(N);
  windows.forEach((ids, w) => {
    ids.forEach((merged, j) => {
      for (let u = 0; u < unit; u++) {
        const slot = w * S + j * unit + u;
        const patch = merged * unit + u;
        windowIndex[slot] = BigInt(patch);
        windowBias[slot] = 0;
        windowScatter[patch] = BigInt(slot);
      }
    });
  });

  const rasterIndex = new BigInt64Array(N);
  for (let p = 0; p < N; p++) {
    const [h, w] = patchPosition(p, gw, m);
    rasterIndex[h * gw + w] = BigInt(p);
  }

  const { cos, sin } = ropeTables(gh, gw, m, hd);
  return {
    gridH: gh,
    gridW: gw,
    numPatches: N,
    numWindows: nW,
    windowSlots: S,
    feeds: {
      rope_cos: { dtype: 'float32', dims: [N, hd], data: cos },
      rope_sin: { dtype: 'float32', dims: [N, hd], data: sin },
      window_index: { dtype: 'int64', dims: [nW, S], data: windowIndex },
      window_bias: { dtype: 'float32', dims: [nW, 1, 1, S], data: windowBias },
      window_scatter: { dtype: 'int64', dims: [N], data: windowScatter },
      raster_index: { dtype: 'int64', dims: [gh, gw], data: rasterIndex },
    },
  };
}
