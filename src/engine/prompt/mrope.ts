// Multimodal RoPE position ids of Qwen2.5-VL for batch 1 (docs/model.md "Prompt"; `get_rope_index`,
// transformers modeling_qwen2_5_vl.py, vendored by VLM-FO1):
// - text (and FO1 region slots, whose id −300 is not the image id) advance t = h = w together;
// - an image's merged tokens, in raster order, get t = s + frame·(second_per_grid_t = 0)·tokens_per_second,
//   h = s + row, w = s + col, with s = the position the first image token would have as text;
// - text after an image resumes at max(all previous positions) + 1;
// - rope_delta = max position + 1 − S; a decoded token at cache position c sits at c + rope_delta on
//   every axis.

/** One image's patch grid, as image_grid_thw (before the 2×2 merge). */
export interface GridThw {
  t: number;
  h: number;
  w: number;
}

export interface RopeIndex {
  /** (3, S) row-major: the t, h, w rows. */
  positions: Int32Array;
  ropeDelta: number;
}

export class RopeIndexError extends Error {
  override name = 'RopeIndexError';
}

/**
 * Position ids of a prompt whose image slots hold `imageTokenId`, one run of t·(h/m)·(w/m) slots per grid,
 * in order.
 */
export function ropeIndex(ids: ArrayLike<number>, imageTokenId: number, grids: readonly GridThw[], spatialMergeSize: number): RopeIndex {
  const S = ids.length;
  const positions = new Int32Array(3 * S); // (3, S)
  let next = 0; // position the next text token gets: max(previous) + 1
  let image = 0;
  let i = 0;
  while (i < S) {
    if (ids[i] !== imageTokenId) {
      positions[i] = positions[S + i] = positions[2 * S + i] = next++;
      i++;
      continue;
    }
    const grid = grids[image];
    if (!grid) throw new RopeIndexError(`image tokens at position ${i}, but only ${grids.length} image grid(s) were given`);
    const [gt, gh, gw] = mergedGrid(grid, spatialMergeSize, image);
    const n = gt * gh * gw;
    if (i + n > S || !allEqual(ids, i, n, imageTokenId) || ids[i + n] === imageTokenId) {
      throw new RopeIndexError(`image ${image} (grid ${grid.t}×${grid.h}×${grid.w}) needs exactly ${n} consecutive image tokens at position ${i}`);
    }
    // (gt, gh, gw) raster: t is 0 for every frame of a still image (second_per_grid_t = 0).
    let maxPos = next;
    for (let k = 0; k < n; k++) {
      const row = Math.floor(k / gw) % gh;
      const col = k % gw;
      positions[i + k] = next;
      positions[S + i + k] = next + row;
      positions[2 * S + i + k] = next + col;
      maxPos = Math.max(maxPos, next + row, next + col);
    }
    next = maxPos + 1;
    i += n;
    image++;
  }
  if (image !== grids.length) throw new RopeIndexError(`${grids.length} image grid(s) given, but the ids hold ${image} image(s)`);
  return { positions, ropeDelta: next - S };
}

/** The decode-step rule: the token at cache position `cachePosition` gets this id on all three axes. */
export function decodePosition(cachePosition: number, ropeDelta: number): number {
  return cachePosition + ropeDelta;
}

function mergedGrid(grid: GridThw, m: number, image: number): [number, number, number] {
  const ok = [grid.t, grid.h, grid.w].every((d) => Number.isInteger(d) && d > 0) && grid.h % m === 0 && grid.w % m === 0;
  if (!ok) throw new RopeIndexError(`image ${image}: grid ${grid.t}×${grid.h}×${grid.w} is not positive and divisible by the merge size ${m}`);
  return [grid.t, grid.h / m, grid.w / m];
}

function allEqual(ids: ArrayLike<number>, start: number, n: number, value: number): boolean {
  for (let k = start; k < start + n; k++) if (ids[k] !== value) return false;
  return true;
}
