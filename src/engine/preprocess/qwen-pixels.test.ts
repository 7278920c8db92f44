import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../image/decode-node.ts';
import { hasShared, NO_SHARED, sharedAsset } from '../../testing/shared.ts';
import { CLIP_MEAN, CLIP_STD, fo1ImageProcessing } from '../../model-folder/image.ts';
import { patchify, qwenPixelValues } from './qwen-pixels.ts';

/**
 * The reference's reshape + permute done literally: the permuted tensor's multi-index is mapped back
 * through the permutation to the source tensor (T, 3, gh/m, m, p, gw/m, m, p) = the frame repeated T times.
 */
function patchifyByPermute(chw: Float32Array, gh: number, gw: number, p: number, m: number, t: number): Float32Array {
  const src = [1, t, 3, gh / m, m, p, gw / m, m, p];
  const perm = [0, 3, 6, 4, 7, 2, 1, 5, 8];
  const dst = perm.map((d) => src[d]);
  const strides = src.map((_, i) => src.slice(i + 1).reduce((a, b) => a * b, 1));
  const total = dst.reduce((a, b) => a * b, 1);
  const frame = 3 * gh * p * gw * p;
  const out = new Float32Array(total);
  const idx = new Array<number>(9).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    for (let d = 8; d >= 0; d--) {
      idx[d] = rest % dst[d];
      rest = Math.floor(rest / dst[d]);
    }
    let s = 0;
    for (let d = 0; d < 9; d++) s += idx[d] * strides[perm[d]];
    out[flat] = chw[s % frame]; // both time steps read the same frame
  }
  return out;
}

describe('patchify', () => {
  it.each([
    [4, 6, 2, 2, 2],
    [2, 4, 14, 2, 2],
  ])('equals the literal reshape/permute for grid %i×%i, patch %i', (gh, gw, p, m, t) => {
    const chw = Float32Array.from({ length: 3 * gh * p * gw * p }, (_, i) => i);
    const got = patchify(chw, gh, gw, p, m, t);
    expect(got.length).toBe(gh * gw * 3 * t * p * p);
    expect(Array.from(got)).toEqual(Array.from(patchifyByPermute(chw, gh, gw, p, m, t)));
  });

  it('refuses a grid that is not a multiple of the merge size', () => {
    expect(() => patchify(new Float32Array(3 * 3 * 4 * 14 * 14), 3, 4, 14, 2, 2)).toThrow(/merge size/);
  });
});

describe.skipIf(!hasShared)(hasShared ? 'qwenPixelValues on the preprocess reference' : NO_SHARED, () => {
  const dir = sharedAsset('qwen2.5-vl-preprocess-reference');

  it('matches the official pixel_values (australia.jpg → grid [1, 62, 92]) within MSE 1e-3', async () => {
    const config = JSON.parse(readFileSync(`${dir}/vision_processor.json`, 'utf8'));
    const op = (name: string) => config.processor.transforms.find((t: { operation: { name: string } }) => t.operation.name === name).operation.attrs;
    const resize = op('resize');
    const norm = op('normalize');
    expect(norm.mean).toEqual([...CLIP_MEAN]);
    expect(norm.std).toEqual([...CLIP_STD]);
    expect(op('rescale').rescale_factor).toBeCloseTo(1 / 255, 15);

    const image = await decodeImage(readFileSync(`${dir}/australia.jpg`));
    const { pixelValues, gridThw, resizedHW } = qwenPixelValues(image, {
      ...fo1ImageProcessing('dynamic').semantic,
      minPixels: resize.min_pixels,
      maxPixels: resize.max_pixels,
      patchSize: resize.patch_size,
      mergeSize: resize.merge_size,
    });
    expect(gridThw).toEqual([1, 62, 92]);
    expect(resizedHW).toEqual([868, 1288]);
    expect(pixelValues.length).toBe(62 * 92 * 1176);

    const reference = readFileSync(`${dir}/pixel_values_reference.txt`, 'utf8').trim().split(/\s+/).map(Number);
    expect(reference.length).toBe(1000);
    let se = 0;
    let maxAbs = 0;
    for (let i = 0; i < reference.length; i++) {
      const d = pixelValues[i] - reference[i];
      se += d * d;
      maxAbs = Math.max(maxAbs, Math.abs(d));
    }
    const mse = se / reference.length;
    console.log(`qwen pixel_values vs reference: MSE ${mse.toExponential(3)}, max |diff| ${maxAbs.toExponential(3)} over 1000 values`);
    expect(mse).toBeLessThanOrEqual(1e-3);
  });
});
