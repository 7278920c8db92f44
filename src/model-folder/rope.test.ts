import { describe, expect, it } from 'vitest';
import { mropeCosSin, mropeAxisOf as referenceAxisOf, ropeInvFreq as referenceInvFreq } from '../../reference/decoder.ts';
import { tensor } from '../../reference/tensor.ts';
import type { TextConfig } from './config.ts';
import { mropeAxisOf, mropeTables, ropeInvFreq } from './rope.ts';

// Qwen2.5-VL-3B's rotary geometry; the rest of the record is not read.
const cfg = { headDim: 128, ropeTheta: 1e6, mropeSection: [16, 24, 24] } as unknown as TextConfig;

describe('M-RoPE tables', () => {
  it('equal the float32 reference bit for bit (frequencies, axes, cos/sin of image and text positions)', () => {
    expect(ropeInvFreq(cfg)).toEqual(referenceInvFreq(cfg));
    expect(mropeAxisOf(cfg)).toEqual(referenceAxisOf(cfg));
    // An image's (t, h, w) grid positions, then text positions continuing after it.
    const S = 12;
    const positions = Int32Array.from({ length: 3 * S }, (_, i) => (i < 3 * 8 ? Math.floor(i / 3) % 4 + Math.floor(i / S) : 100 + i));
    const ours = mropeTables(cfg, positions);
    const ref = mropeCosSin(cfg, tensor(Float32Array.from(positions), [3, S]));
    expect(ours.cos).toEqual(ref.cos.data);
    expect(ours.sin).toEqual(ref.sin.data);
  });

  it('refuses positions that are not (3, S)', () => {
    expect(() => mropeTables(cfg, [1, 2])).toThrow('mropeTables: 2 position ids are not (3, S)');
  });
});
