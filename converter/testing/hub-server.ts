// A local stand-in for the Hugging Face Hub, for tests (Node only): the endpoints the converter and
// @huggingface/hub call, laid out and answering as huggingface.co does, on two origins like the real one
// (the Hub, and the CDN its resolve URLs redirect to):
//   hub  GET /api/models/<owner>/<name>/revision/<rev>      {id, sha, siblings}
//        GET /api/models/<owner>/<name>/tree/<rev>[/<dir>]   [{type, path, size, oid, lfs?}]
//        GET|HEAD /<owner>/<name>/resolve/<rev>/<file>      302 → cdn, with X-Repo-Commit, ETag, X-Linked-Size
//        GET|HEAD /<owner>/<name>/raw/<rev>/<file>          the bytes (what @huggingface/hub's fileExists asks)
//   cdn  GET /<owner>/<name>/<sha>/<file>                   bytes, single Range → 206, CORS headers
// A revision is `main` or the commit sha. `faults` switches on the failures a real download meets: a repository
// that answers 404, one that answers 401 without the right token, a response cut after N bytes, a listing whose
// size for a file is wrong.

import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

export interface HubFixtureRepo {
  /** The folder whose files the repository serves. */
  dir: string;
  /** Its commit: 40 hex digits. */
  sha: string;
}

export interface HubFaults {
  /** The repository answers 404 everywhere (a wrong name). */
  notFound?: boolean;
  /** Requests to the Hub origin need `Authorization: Bearer <token>`, else 401 (gated/private). */
  token?: string;
  /**
   * The next `times` (default 1) CDN responses for `file` are cut after `afterBytes` bytes of body; with
   * `minBytes`, only responses longer than that (e.g. tensors, not the 8-byte header length).
   */
  cut?: { file: string; afterBytes: number; times?: number; minBytes?: number };
  /** The next CDN response for `file` sends `afterBytes` bytes of body, then nothing, without closing (a stall). */
  stall?: { file: string; afterBytes: number };
  /** The tree listing reports `file`'s size off by `delta` bytes. */
  wrongSize?: { file: string; delta: number };
}

export interface HubRequest {
  origin: 'hub' | 'cdn';
  method: string;
  /** The path, decoded, without the query. */
  path: string;
  range?: string;
  referer?: string;
  authorization?: string;
}

export interface HubServer {
  hubUrl: string;
  cdnUrl: string;
  /** Mutable: tests switch faults on and off between requests. */
  faults: HubFaults;
  requests: HubRequest[];
  /** Expires every CDN URL the resolve redirects gave so far: they answer 403 from now on, as signed URLs do. */
  expireSignedUrls(): void;
  close(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, range, accept, content-type',
  'access-control-expose-headers': 'content-range, content-length, etag, x-repo-commit, x-linked-size, x-linked-etag, x-error-code, accept-ranges, location',
  // The app is cross-origin isolated (COEP require-corp): cross-origin bytes must opt in.
  'cross-origin-resource-policy': 'cross-origin',
};

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

/** A file's stand-in git oid: the Hub's listing has one; its value only needs to be stable here. */
function oid(path: string, size: number): string {
  let h = 0x811c9dc5;
  for (const c of `${path}:${size}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(5);
}

function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export async function startHubServer(repos: Record<string, HubFixtureRepo>, opts: { hubPort?: number; cdnPort?: number } = {}): Promise<HubServer> {
  const faults: HubFaults = {};
  const requests: HubRequest[] = [];
  let cdnUrl = '';
  // The CDN URLs carry a signature: a serial number, valid while ≥ validFrom.
  let nextSignature = 0;
  let validFrom = 0;

  const record = (origin: HubRequest['origin'], req: IncomingMessage, path: string) =>
    requests.push({ origin, method: req.method ?? 'GET', path, range: req.headers.range, referer: req.headers.referer, authorization: req.headers.authorization });

  const error = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { ...CORS, 'content-type': 'application/json', 'x-error-code': code }).end(JSON.stringify({ error: message }));
  };

  /** The repository and commit a request names, or an error answer (null). */
  const lookup = (req: IncomingMessage, res: ServerResponse, repo: string, rev: string): HubFixtureRepo | null => {
    const r = repos[repo];
    if (!r || faults.notFound) {
      error(res, 404, 'RepoNotFound', `Repository not found: ${repo}`);
      return null;
    }
    if (faults.token !== undefined && req.headers.authorization !== `Bearer ${faults.token}`) {
      error(res, 401, 'GatedRepo', `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return null;
    }
    if (rev !== 'main' && rev !== r.sha) {
      error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      return null;
    }
    return r;
  };

  const hub = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    record('hub', req, path);
    if (req.method === 'OPTIONS') return void res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET, HEAD' }).end();
    let m = path.match(/^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/);
    if (m) {
      const r = lookup(req, res, m[1], m[2]);
      if (!r) return;
      const body = { _id: r.sha.slice(0, 24), id: m[1], sha: r.sha, private: false, gated: false, lastModified: '2025-10-01T00:00:00.000Z', siblings: files(r.dir).map((f) => ({ rfilename: f })) };
      return void res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(body));
    }
    m = path.match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/);
    if (m) {
      const r = lookup(req, res, m[1], m[2]);
      if (!r) return;
      const under = m[3] ?? '';
      const entries = files(r.dir)
        .filter((f) => f.startsWith(under))
        .map((f) => {
          const real = statSync(join(r.dir, f)).size;
          const size = faults.wrongSize?.file === f ? real + faults.wrongSize.delta : real;
          const lfs = f.endsWith('.safetensors') ? { lfs: { oid: oid(f, size).slice(0, 64).padEnd(64, '0'), size, pointerSize: 134 } } : {};
          return { type: 'file', oid: oid(f, size), size, path: f, ...lfs };
        });
      return void res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(entries));
    }
    m = path.match(/^\/([^/]+\/[^/]+)\/(resolve|raw)\/([^/]+)\/(.+)$/);
    if (m) {
      const r = lookup(req, res, m[1], m[3]);
      if (!r) return;
      const file = m[4];
      if (!existsSync(join(r.dir, file))) return error(res, 404, 'EntryNotFound', `${file} does not exist on "${m[3]}"`);
      const size = statSync(join(r.dir, file)).size;
      const meta = { 'x-repo-commit': r.sha, etag: `"${oid(file, size)}"`, 'x-linked-size': String(size), 'x-linked-etag': `"${oid(file, size)}"` };
      if (m[2] === 'raw') return serve(req, res, join(r.dir, file), file, meta, false);
      return void res.writeHead(302, { ...CORS, ...meta, location: `${cdnUrl}/${m[1]}/${r.sha}/${file.split('/').map(encodeURIComponent).join('/')}?signature=${nextSignature++}` }).end();
    }
    error(res, 404, 'NotFound', `no route ${path}`);
  });

  const cdn = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    record('cdn', req, path);
    if (req.method === 'OPTIONS') return void res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET, HEAD' }).end();
    if (!(Number(url.searchParams.get('signature') ?? -1) >= validFrom)) return void res.writeHead(403, CORS).end('Request has expired');
    const m = path.match(/^\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/);
    const r = m ? repos[m[1]] : undefined;
    if (!m || !r || r.sha !== m[2] || !existsSync(join(r.dir, m[3]))) return void res.writeHead(404, CORS).end('NoSuchKey');
    serve(req, res, join(r.dir, m[3]), m[3], { 'x-repo-commit': r.sha, etag: `"${oid(m[3], statSync(join(r.dir, m[3])).size)}"` }, true);
  });

  /** The file's bytes, or one range of them (`bytes=a-b` / `bytes=a-`); `cuttable`: the CDN's, where faults.cut applies. */
  function serve(req: IncomingMessage, res: ServerResponse, path: string, file: string, meta: Record<string, string>, cuttable: boolean): void {
    const size = statSync(path).size;
    const range = req.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
    let start = 0;
    let end = size - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || end < start) return void res.writeHead(416, { ...CORS, 'content-range': `bytes */${size}` }).end();
    }
    res.writeHead(range ? 206 : 200, {
      ...CORS,
      ...meta,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    if (cuttable && faults.stall?.file === file) {
      const stalled = createReadStream(path, { start, end: Math.min(end, start + faults.stall.afterBytes - 1) });
      faults.stall = undefined;
      stalled.on('data', (c) => res.write(c)); // and never res.end(): the client must give up by itself
      return;
    }
    const cut = cuttable && faults.cut?.file === file && end - start + 1 > (faults.cut.minBytes ?? 0) ? faults.cut : undefined;
    if (cut) {
      const left = (cut.times ?? 1) - 1;
      faults.cut = left > 0 ? { ...cut, times: left } : undefined;
      if (cut.afterBytes === 0) return void res.flushHeaders(), void res.destroy();
      const stream = createReadStream(path, { start, end: Math.min(end, start + cut.afterBytes - 1) });
      stream.on('data', (c) => res.write(c));
      stream.on('end', () => res.destroy()); // the connection drops mid-body
      return;
    }
    createReadStream(path, { start, end }).pipe(res);
  }

  const hubUrl = await listen(hub, opts.hubPort ?? 0);
  cdnUrl = await listen(cdn, opts.cdnPort ?? 0);
  return {
    hubUrl,
    cdnUrl,
    faults,
    requests,
    expireSignedUrls: () => {
      validFrom = nextSignature;
    },
    close: async () => {
      hub.closeAllConnections();
      cdn.closeAllConnections();
      await Promise.all([new Promise((r) => hub.close(r)), new Promise((r) => cdn.close(r))]);
    },
  };
}
