// Loading the tiny model folder over HTTP (a local static server with Range support): every file verified,
// progress per file, Cache Storage reuse without the network, resume of an interrupted download, and a
// wrong hash naming the file. The cache is an in-memory stand-in with the Cache API's match/put/delete.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestFiles, type ModelManifest } from '../../model-folder/manifest.ts';
import type { LoadProgress } from '../api.ts';
import { hasShared, NO_SHARED } from '../../testing/shared.ts';
import { tinyModel } from '../testing/tiny-model.ts';
import { LoadError } from './folder.ts';
import { loadModelFiles } from './load-model.ts';
import { UrlFolder } from './url-folder.ts';
import { MemoryCache } from '../../testing/memory-cache.ts';

interface Hit {
  path: string;
  range: string | null;
}

/** Serves `dir`; `cutAfter[path]` = bytes after which the next response for `path` is cut (once). */
function serve(dir: string, cutAfter: Map<string, number>, hits: Hit[], corrupt = new Set<string>()): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
    hits.push({ path, range: req.headers.range ?? null });
    let body: Buffer;
    try {
      body = readFileSync(join(dir, path));
    } catch {
      res.writeHead(404).end();
      return;
    }
    if (corrupt.has(path)) body = Buffer.from(body.map((b, i) => (i === 0 ? b ^ 1 : b)));
    let start = 0;
    let end = body.length;
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      end = Number(m[2]) + 1;
      res.writeHead(206, { 'content-length': end - start, 'content-range': `bytes ${start}-${end - 1}/${body.length}` });
    } else {
      res.writeHead(200, { 'content-length': body.length });
    }
    const cut = cutAfter.get(path);
    if (cut !== undefined && cut < end) {
      cutAfter.delete(path);
      res.write(body.subarray(start, Math.max(start, cut)), () => res.destroy());
      return;
    }
    res.end(body.subarray(start, end));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const never = new AbortController().signal;
const BIG = 'onnx/decoder_model_merged.onnx_data';
const CHUNK = 4 << 20;

describe.skipIf(!hasShared)('UrlFolder + loadModelFiles over HTTP', () => {
  let dir: string;
  let manifest: ModelManifest;
  const servers: Server[] = [];
  const start = async (cut: Map<string, number>, hits: Hit[], corrupt?: Set<string>) => {
    const s = await serve(dir, cut, hits, corrupt);
    servers.push(s);
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
  };

  beforeAll(async () => {
    dir = (await tinyModel()).dir;
    manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  }, 120_000);

  afterAll(() => servers.forEach((s) => s.close()));

  it('an interrupted download resumes from its stored chunks, and a cached folder loads with no network', async () => {
    const cache = new MemoryCache();
    const size = manifest.components.decoder_model_merged.variants.fp32!.externalData[0].bytes;
    const cutAt = CHUNK * 2 + 1000; // two whole chunks arrive, the third breaks off
    const hits: Hit[] = [];
    const base = await start(new Map([[BIG, cutAt]]), hits);
    const folder = () => new UrlFolder(base, { cache, chunkBytes: CHUNK });
    const err = await loadModelFiles(folder(), 'fp32', () => {}, never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect((err as Error).message).toMatch(new RegExp(`${BIG}: the download was interrupted`));

    hits.length = 0;
    const progress: LoadProgress[] = [];
    const files = await loadModelFiles(folder(), 'fp32', (p) => progress.push(p), never);
    expect(files.graphs.decoder_model_merged.externalData[0].data.length).toBe(size);
    const bigHits = hits.filter((h) => h.path === BIG);
    expect(bigHits.length).toBeGreaterThan(0);
    expect(bigHits.every((h) => h.range !== null && Number(/bytes=(\d+)/.exec(h.range)![1]) >= 2 * CHUNK)).toBe(true);
    // Files finished before the interruption are not fetched again.
    expect(hits.some((h) => h.path === 'onnx/vision_semantic.onnx')).toBe(false);
    // Progress: every file of the dtype reports its full size at the end.
    for (const f of manifestFiles(manifest, 'fp32')) {
      const last = progress.filter((p) => p.stage === 'download' && p.file === f.path).at(-1);
      expect(last, f.path).toMatchObject({ bytesDone: f.bytes, bytesTotal: f.bytes });
    }

    // Offline: every file comes from the cache.
    const offline = new UrlFolder(base, { cache, fetch: () => Promise.reject(new TypeError('fetch failed: offline')) });
    const again = await loadModelFiles(offline, 'fp32', () => {}, never);
    expect(again.graphs.decoder_model_merged.graph).toEqual(files.graphs.decoder_model_merged.graph);
  }, 60_000);

  it('a file whose bytes do not match model.json fails the load with its name; a missing file names it too', async () => {
    const bad = 'onnx/region_encoder.onnx_data';
    const base = await start(new Map(), [], new Set([bad]));
    const err = await loadModelFiles(new UrlFolder(base), 'fp32', () => {}, never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect((err as Error).message).toContain(`${bad}: sha256`);
    const missing = await loadModelFiles(new UrlFolder(`${base}no-such-folder/`), 'fp32', () => {}, never).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/model\.json: missing from .*HTTP 404/);
  }, 60_000);
});

if (!hasShared) it.skip(NO_SHARED, () => {});
