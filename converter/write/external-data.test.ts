import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, tensorData } from '../onnx/graph.ts';
import { f32, runModel } from '../../src/testing/ort.ts';
import { ExternalDataStore } from './external-data.ts';
import { nodeFiles } from './file-sink.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xd-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ExternalDataStore', () => {
  it('rotates chunks before the size limit, aligns offsets, and ORT reads the weights back', async () => {
    // Three 40-byte weights with a 100-byte chunk limit: the 64-byte alignment forces a new chunk for each.
    const store = new ExternalDataStore(nodeFiles, dir, 'g.onnx', 100);
    const g = new Graph('g', store);
    const x = g.input('x', 'float32', [10]);
    let y = x;
    const ws = [1, 2, 3].map((k) => g.weight(`w${k}`, tensorData('float32', [10], Array.from({ length: 10 }, (_, i) => k * 100 + i))));
    for (const [k, w] of ws.entries()) y = g.at(`/add${k}`).op('Add', 'Add', [y, w]);
    g.output(y, 'y', 'float32', [10]);
    const chunks = store.finish();
    expect(chunks.map((c) => c.name)).toEqual(['g.onnx_data', 'g.onnx_data_1', 'g.onnx_data_2']);
    const externalData = await Promise.all(chunks.map(async (c) => {
      const data = new Uint8Array(await readFile(join(dir, c.name)));
      expect(c.bytes).toBe(data.length);
      expect(c.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      return { path: c.name, data };
    }));
    const out = await runModel(g.encode(), { x: f32(new Float32Array(10).fill(0.5), [10]) }, externalData);
    expect(Array.from(out.y.data as Float32Array)).toEqual(Array.from({ length: 10 }, (_, i) => 600 + 3 * i + 0.5));
  });

  it('keeps one chunk while weights fit, with aligned offsets', () => {
    const store = new ExternalDataStore(nodeFiles, dir, 'h.onnx', 1 << 20);
    const a = store.put('a', new Uint8Array(10)) as { offset: number; location: string };
    const b = store.put('b', new Uint8Array(10)) as { offset: number; location: string };
    expect([a.location, a.offset, b.location, b.offset]).toEqual(['h.onnx_data', 0, 'h.onnx_data', 64]);
    expect(store.finish()).toHaveLength(1);
  });

  it('names an initializer bigger than a chunk', () => {
    const store = new ExternalDataStore(nodeFiles, dir, 'big.onnx', 16);
    expect(() => store.put('model.embed_tokens.weight', new Uint8Array(17))).toThrow(/big\.onnx: initializer model\.embed_tokens\.weight is 17 bytes, over the 16-byte/);
  });
});
