import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../../converter/read/safetensors.ts';
import { hasShared, NO_SHARED, sharedAsset } from '../../testing/shared.ts';
import { decodePosition, ropeIndex, RopeIndexError } from './mrope.ts';

const I = 99; // image token id for the hand cases
const rows = (p: Int32Array, S: number) => [0, 1, 2].map((r) => [...p.slice(r * S, (r + 1) * S)]);

describe('ropeIndex (hand-computed)', () => {
  it('text, one 1×4×6 image (2×3 merged), a region slot, text', () => {
    // t0 t1 <vs> I I I I I I <ve> -300 t
    const ids = [5, 6, 7, I, I, I, I, I, I, 8, -300, 9];
    const { positions, ropeDelta } = ropeIndex(ids, I, [{ t: 1, h: 4, w: 6 }], 2);
    // Image starts at s = 3; rows 0..1 and cols 0..2 add to h and w; text resumes at max(3+1, 3+2) + 1 = 6.
    expect(rows(positions, ids.length)).toEqual([
      [0, 1, 2, 3, 3, 3, 3, 3, 3, 6, 7, 8],
      [0, 1, 2, 3, 3, 3, 4, 4, 4, 6, 7, 8],
      [0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8],
    ]);
    expect(ropeDelta).toBe(8 + 1 - 12);
    // The next token (cache position 12) continues at 9 on every axis.
    expect(decodePosition(12, ropeDelta)).toBe(9);
  });

  it('a tall image: rows dominate the jump after it', () => {
    const ids = [1, I, I, I, 2]; // 1×6×2 → 3×1 merged
    const { positions, ropeDelta } = ropeIndex(ids, I, [{ t: 1, h: 6, w: 2 }], 2);
    expect(rows(positions, 5)).toEqual([
      [0, 1, 1, 1, 4],
      [0, 1, 2, 3, 4],
      [0, 1, 1, 1, 4],
    ]);
    expect(ropeDelta).toBe(0);
  });

  it('text only is a plain running index with delta 0', () => {
    const { positions, ropeDelta } = ropeIndex([4, 5, 6], I, [], 2);
    expect(rows(positions, 3)).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
    expect(ropeDelta).toBe(0);
  });

  it('names a mismatch between image tokens and grids', () => {
    expect(() => ropeIndex([1, I, I, 2], I, [{ t: 1, h: 4, w: 6 }], 2)).toThrow(/needs exactly 6 consecutive image tokens at position 1/);
    expect(() => ropeIndex([1, I, I, I, I, 2], I, [{ t: 1, h: 2, w: 2 }], 2)).toThrow(RopeIndexError);
    expect(() => ropeIndex([1, I], I, [], 2)).toThrow(/only 0 image grid/);
    expect(() => ropeIndex([1, 2], I, [{ t: 1, h: 2, w: 2 }], 2)).toThrow(/ids hold 0 image/);
    expect(() => ropeIndex([I], I, [{ t: 1, h: 3, w: 2 }], 2)).toThrow(/divisible by the merge size 2/);
  });
});

describe.skipIf(!hasShared)(`ropeIndex vs the reference get_rope_index (fo1-golden/qwen) ${hasShared ? '' : NO_SHARED}`, () => {
  it('reproduces output.position_ids, rope_deltas and the decode-step extension', async () => {
    const dir = sharedAsset('fo1-golden', 'qwen');
    const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    const st = await SafetensorsFile.open(`${dir}/tensors.safetensors`);
    try {
      const ids = Array.from(await st.readFloat32('input.input_ids'));
      const [t, h, w] = Array.from(await st.readFloat32('input.image_grid_thw'));
      const expected = await st.readFloat32('output.position_ids'); // (3, 1, S)
      const [delta] = await st.readFloat32('output.rope_deltas');
      const extended = await st.readFloat32('output.position_ids_extended'); // (3, 1, S + n)
      const S = ids.length;
      expect(S).toBe(config.tensors['input.input_ids'][1]);
      expect([t, h, w]).toEqual(config.grid_thw);

      const { positions, ropeDelta } = ropeIndex(ids, config.text_config.image_token_id, [{ t, h, w }], config.vision_config.spatial_merge_size);
      expect([...positions]).toEqual([...expected]);
      expect(ropeDelta).toBe(delta);
      // The image span the positions were built for is the one the fixture describes.
      const kinds = ids.map((id: number) => (id === config.text_config.image_token_id ? 'image' : 'other'));
      expect(kinds.indexOf('image')).toBe(config.image_positions[0]);
      expect(kinds.lastIndexOf('image')).toBe(config.image_positions[1]);

      const steps = config.tensors['output.position_ids_extended'][2] - S;
      expect(steps).toBeGreaterThan(0);
      for (let axis = 0; axis < 3; axis++) {
        const row = extended.slice(axis * (S + steps), (axis + 1) * (S + steps));
        expect([...row.slice(0, S)]).toEqual([...expected.slice(axis * S, (axis + 1) * S)]);
        for (let j = 0; j < steps; j++) expect(row[S + j]).toBe(decodePosition(S + j, ropeDelta));
      }
    } finally {
      await st.close();
    }
  });
});
