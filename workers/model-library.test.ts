// The model library over the engine's real storage layout: the tiny model folder served over HTTP and
// stored by the engine's own UrlFolder/loadModelFiles into an in-memory stand-in of a Cache Storage cache.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFiles } from '../src/engine/load/load-model.ts';
import { UrlFolder } from '../src/engine/load/url-folder.ts';
import { tinyModel } from '../src/engine/testing/tiny-model.ts';
import { manifestFiles, validateManifest, type ModelManifest } from '../src/model-folder/manifest.ts';
import { CacheModelLibrary, storedFrom } from './model-library.ts';
import { MemoryCache } from '../src/testing/memory-cache.ts';

/** Serves the model folder under /m/, an HTML page for anything under /spa/ (as an SPA fallback does), and 404 elsewhere. */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    if (path.startsWith('/spa/')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>app</body></html>');
      return;
    }
    let body: Buffer;
    try {
      if (!path.startsWith('/m/')) throw new Error('outside');
      body = readFileSync(join(dir, path.slice(3)));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (m) {
      const start = Number(m[1]);
      const end = Number(m[2]) + 1;
      res.writeHead(206, { 'content-length': end - start }).end(body.subarray(start, end));
    } else {
      res.writeHead(200, { 'content-length': body.length }).end(body);
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let server: Server;
let base: string;
let manifest: ModelManifest;
const signal = new AbortController().signal;

beforeAll(async () => {
  const { dir } = await tinyModel();
  manifest = validateManifest(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
  server = await serve(dir);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('CacheModelLibrary', () => {
  it('inspects a folder before download: its files and total size, nothing stored yet', async () => {
    const lib = new CacheModelLibrary(async () => new MemoryCache());
    const info = await lib.inspect({ kind: 'url', url: `${base}/m` }, signal);
    const expected = manifestFiles(manifest, info.dtype as 'fp32');
    expect(info.modelId).toBe(`${base}/m/`);
    expect(info.name).toBe(manifest.source);
    expect(info.files.map((f) => f.path)).toEqual(expected.map((f) => f.path));
    expect(info.totalBytes).toBe(expected.reduce((n, f) => n + f.bytes, 0));
    expect(info.storedBytes).toBe(0);
  });

  it('names a 404 and an HTML page instead of model.json', async () => {
    const lib = new CacheModelLibrary(async () => new MemoryCache());
    await expect(lib.inspect({ kind: 'url', url: `${base}/nothing/` }, signal)).rejects.toMatchObject({ code: 'load-failed', message: expect.stringMatching(/does not exist \(HTTP 404\)/) });
    await expect(lib.inspect({ kind: 'url', url: `${base}/spa/model/` }, signal)).rejects.toMatchObject({ code: 'load-failed', message: expect.stringMatching(/returned a web page \(HTML\), not model\.json/) });
  });

  it('lists a folder the engine stored, complete, and deletes every file of it', async () => {
    const cache = new MemoryCache();
    const lib = new CacheModelLibrary(async () => cache);
    await loadModelFiles(new UrlFolder(`${base}/m/`, { cache }), undefined, () => {}, signal);
    const [model, ...rest] = await lib.listCached();
    expect(rest).toEqual([]);
    expect(model).toMatchObject({ modelId: `${base}/m/`, name: manifest.source, complete: true });
    expect(model.storedBytes).toBe(model.totalBytes);
    expect((await lib.inspect({ kind: 'cached', modelId: model.modelId }, signal)).files.every((f) => f.stored)).toBe(true);

    await lib.deleteCached(model.modelId);
    expect(cache.entries.size).toBe(0);
    expect(await lib.listCached()).toEqual([]);
    await expect(lib.deleteCached(model.modelId)).rejects.toMatchObject({ code: 'bad-input' });
  });

  it('counts the stored chunks of an interrupted download as partly stored', async () => {
    const cache = new MemoryCache();
    const lib = new CacheModelLibrary(async () => cache);
    const biggest = [...manifestFiles(manifest, 'fp32')].sort((a, b) => b.bytes - a.bytes)[0];
    const chunk = Math.ceil(biggest.bytes / 4);
    let served = 0;
    // The connection drops after two chunks of the biggest file.
    const flaky: typeof fetch = async (input, init) => {
      if (String(input).endsWith(biggest.path) && ++served > 2) throw new TypeError('network down');
      return fetch(input, init);
    };
    await expect(loadModelFiles(new UrlFolder(`${base}/m/`, { cache, fetch: flaky, chunkBytes: chunk }), 'fp32', () => {}, signal)).rejects.toThrow(/could not fetch/);
    const info = await lib.inspect({ kind: 'url', url: `${base}/m/` }, signal);
    const file = info.files.find((f) => f.path === biggest.path)!;
    expect(file.stored).toBe(false);
    const storedBefore = info.files.filter((f) => f.stored).reduce((n, f) => n + f.bytes, 0);
    expect(info.storedBytes).toBe(storedBefore + 2 * chunk);
    const [listed] = await lib.listCached();
    expect(listed).toMatchObject({ complete: false, storedBytes: info.storedBytes, totalBytes: info.totalBytes });
  });
});

describe('storedFrom', () => {
  it('sums part ranges per file and treats a whole entry as complete', () => {
    const stored = storedFrom(['https://h/a/onnx/x.onnx?fo1-part=0-10', 'https://h/a/onnx/x.onnx?fo1-part=10-15', 'https://h/a/model.json', 'https://h/b/model.json'])('https://h/a/');
    expect(stored.get('onnx/x.onnx')).toBe(15);
    expect(stored.get('model.json')).toBe(Infinity);
    expect(stored.has('b/model.json')).toBe(false);
  });
});
