import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, tensorData } from '../../src/onnx/graph.ts';
import { f32, runModel } from '../../src/testing/ort.ts';
import { ExternalDataStore, SharedWeights } from './external-data.ts';
import { nodeOutput } from './file-sink.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xd-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ExternalDataStore', () => {
  it('rotates chunks before the size limit, aligns offsets, and ORT reads the weights back', async () => {
    // Three 40-byte weights with a 100-byte chunk limit: the 64-byte alignment forces a new chunk for each.
    const store = new ExternalDataStore(nodeOutput(), dir, 'g.onnx', 100);
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
    const store = new ExternalDataStore(nodeOutput(), dir, 'h.onnx', 1 << 20);
    const a = store.put('a', new Uint8Array(10)) as { offset: number; location: string };
    const b = store.put('b', new Uint8Array(10)) as { offset: number; location: string };
    expect([a.location, a.offset, b.location, b.offset]).toEqual(['h.onnx_data', 0, 'h.onnx_data', 64]);
    expect(store.finish()).toHaveLength(1);
  });

  it('names an initializer bigger than a chunk', () => {
    const store = new ExternalDataStore(nodeOutput(), dir, 'big.onnx', 16);
    expect(() => store.put('model.embed_tokens.weight', new Uint8Array(17))).toThrow(/big\.onnx: initializer model\.embed_tokens\.weight is 17 bytes, over the 16-byte/);
  });

  it('shares a weight another graph wrote with the same name and bytes, and ORT reads it from that file', async () => {
    const shared = new SharedWeights(dir);
    const table = tensorData('float32', [4], [1, 2, 3, 4]);
    const first = new ExternalDataStore(nodeOutput(), dir, 'first.onnx', 1 << 20, shared);
    const g1 = new Graph('first', first);
    g1.weight('table', table);
    expect(first.finish().map((c) => c.name)).toEqual(['first.onnx_data']);

    const second = new ExternalDataStore(nodeOutput(), dir, 'second.onnx', 1 << 20, shared);
    const g = new Graph('second', second);
    const x = g.input('x', 'float32', [4]);
    const own = g.weight('own', tensorData('float32', [4], [10, 20, 30, 40]));
    const same = g.weight('table', table); // written by `first`: referenced there
    const sum = g.at('/add').op('Add', 'Add', [g.at('/a').op('Add', 'Add', [x, own]), same]);
    g.output(sum, 'y', 'float32', [4]);
    const chunks = second.finish();
    expect(chunks.map((c) => [c.name, c.bytes])).toEqual([['second.onnx_data', 16]]); // only `own`
    expect(second.borrowed()).toEqual(['first.onnx_data']);
    const externalData = await Promise.all(['first.onnx_data', 'second.onnx_data'].map(async (path) => ({ path, data: new Uint8Array(await readFile(join(dir, path))) })));
    const out = await runModel(g.encode(), { x: f32(new Float32Array(4).fill(0.5), [4]) }, externalData);
    expect(Array.from(out.y.data as Float32Array)).toEqual([11.5, 22.5, 33.5, 44.5]);
  });

  it('writes a weight again when its bytes differ from the one of that name, and shares only within one folder', () => {
    const shared = new SharedWeights(dir);
    const first = new ExternalDataStore(nodeOutput(), dir, 'p.onnx', 1 << 20, shared);
    first.put('w', new Uint8Array([1, 2, 3, 4]));
    first.finish();
    const other = new ExternalDataStore(nodeOutput(), dir, 'q.onnx', 1 << 20, shared);
    expect(other.put('w', new Uint8Array([1, 2, 3, 5]))).toMatchObject({ location: 'q.onnx_data', offset: 0 });
    expect(other.borrowed()).toEqual([]);
    other.finish();
    expect(() => new ExternalDataStore(nodeOutput(), join(dir, 'sub'), 'r.onnx', 1 << 20, shared)).toThrow(/r\.onnx: weights can only be shared between graphs of one folder/);
  });
});
