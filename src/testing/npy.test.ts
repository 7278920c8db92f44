import { describe, expect, it } from 'vitest';
import { readNpy } from './npy.ts';

/** A version-1.0 .npy file, header padded to a multiple of 64 bytes as NumPy writes it. */
function npy(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

describe('readNpy', () => {
  it('reads float32 data with its shape, from an unaligned view', () => {
    const values = Float32Array.from([1.5, -2, 3.25, 4, 5, 6]);
    const file = npy('<f4', [2, 3], new Uint8Array(values.buffer));
    const padded = new Uint8Array(file.length + 1);
    padded.set(file, 1);
    const arr = readNpy(padded.subarray(1));
    expect(arr.shape).toEqual([2, 3]);
    expect(Array.from(arr.data as Float32Array)).toEqual(Array.from(values));
  });

  it('refuses other files and dtypes', () => {
    expect(() => readNpy(new Uint8Array(16))).toThrow(/bad magic/);
    expect(() => readNpy(npy('>f2', [1], new Uint8Array(2)))).toThrow(/dtype >f2/);
  });
});
