import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors, type TensorSpec } from '../write/safetensors-writer.ts';
import { SafetensorsFile } from './safetensors.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A file from raw header JSON + data bytes, for corrupt cases the writer would never produce. */
async function rawFile(name: string, header: unknown, data: Uint8Array, headerLen?: bigint): Promise<string> {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLen ?? BigInt(json.length));
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([len, json, data]));
  return path;
}

const u16 = (...v: number[]) => new Uint8Array(new Uint16Array(v).buffer);

describe('SafetensorsFile', () => {
  it('reads F32, F16 and BF16 tensors written by the streaming writer', async () => {
    const specs: TensorSpec[] = [
      { name: 'a', dtype: 'F32', shape: [2, 2] },
      { name: 'h', dtype: 'F16', shape: [4] },
      { name: 'b', dtype: 'BF16', shape: [3] },
    ];
    const data: Record<string, Uint8Array[]> = {
      // written in two chunks to exercise streaming
      a: [new Uint8Array(new Float32Array([1, -2]).buffer), new Uint8Array(new Float32Array([3.5, 0.25]).buffer)],
      h: [u16(0x3c00, 0xc000, 0x7bff, 0x0001)], // 1, -2, 65504, 2^-24 (subnormal)
      b: [u16(0x3fc0, 0xc010, 0x0000)], // 1.5, -2.25, 0
    };
    const path = join(dir, 'ok.safetensors');
    await writeSafetensors(path, specs, (s) => data[s.name], { format: 'pt' });
    const f = await SafetensorsFile.open(path);
    try {
      expect(f.metadata).toEqual({ format: 'pt' });
      expect(f.entries.get('a')?.shape).toEqual([2, 2]);
      expect(Array.from(await f.readFloat32('a'))).toEqual([1, -2, 3.5, 0.25]);
      expect(Array.from(await f.readFloat32('h'))).toEqual([1, -2, 65504, 2 ** -24]);
      expect(Array.from(await f.readFloat32('b'))).toEqual([1.5, -2.25, 0]);
      await expect(f.readFloat32('nope')).rejects.toThrow(/ok\.safetensors: no tensor nope/);
    } finally {
      await f.close();
    }
  });

  it('the writer refuses a tensor whose producer yields the wrong byte count', async () => {
    const path = join(dir, 'short.safetensors');
    await expect(writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [3] }], () => [new Uint8Array(8)])).rejects.toThrow(/tensor w produced 8 bytes, expected 12/);
  });

  it('names the file and tensor when the file is truncated', async () => {
    const path = join(dir, 'trunc.safetensors');
    await writeSafetensors(path, [{ name: 'x', dtype: 'F32', shape: [4] }, { name: 'y', dtype: 'F32', shape: [4] }], (s) => [new Uint8Array(16)]);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 5));
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/trunc\.safetensors: tensor y: bytes \d+\.\.\d+ overrun the file/);
  });

  it('rejects files too short for a header, and header lengths that overrun the file', async () => {
    const tiny = join(dir, 'tiny.safetensors');
    await writeFile(tiny, new Uint8Array(5));
    await expect(SafetensorsFile.open(tiny)).rejects.toThrow(/tiny\.safetensors: 5 bytes is too short/);
    const path = await rawFile('hdr.safetensors', {}, new Uint8Array(0), 1000n);
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/hdr\.safetensors: header length 1000 overruns the file/);
  });

  it('rejects a corrupt header', async () => {
    await expect(SafetensorsFile.open(await rawFile('json.safetensors', '{"x": {', new Uint8Array(0)))).rejects.toThrow(/json\.safetensors: header is not valid JSON/);
    await expect(SafetensorsFile.open(await rawFile('arr.safetensors', '[1,2]', new Uint8Array(0)))).rejects.toThrow(/arr\.safetensors: header is not a JSON object/);
  });

  it('rejects unsupported dtypes, byte counts that do not match the shape, and overlapping tensors', async () => {
    const f64 = await rawFile('f64.safetensors', { w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    await expect(SafetensorsFile.open(f64)).rejects.toThrow(/f64\.safetensors: tensor w: unsupported dtype "F64" \(supported: F32, F16, BF16, I64, I32\)/);
    const size = await rawFile('size.safetensors', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
    await expect(SafetensorsFile.open(size)).rejects.toThrow(/tensor w: 8 bytes for F32\[3\] \(expected 12\)/);
    const overlap = await rawFile('ov.safetensors', {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, new Uint8Array(12));
    await expect(SafetensorsFile.open(overlap)).rejects.toThrow(/ov\.safetensors: tensors a and b overlap/);
    const neg = await rawFile('neg.safetensors', { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4));
    await expect(SafetensorsFile.open(neg)).rejects.toThrow(/tensor w: bad shape \[-1\]/);
  });

  it('reports a missing file by path', async () => {
    await expect(SafetensorsFile.open(join(dir, 'absent.safetensors'))).rejects.toThrow(/absent\.safetensors: cannot open \(ENOENT\)/);
  });
});
