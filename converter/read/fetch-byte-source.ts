// ByteSource over HTTP(S) with single-range requests (browser and Node alike: only `fetch`).
// The Hub's resolve/<sha>/<file> answers with a 302 to a CDN on another origin, which fetch follows; a
// single `Range` header is CORS-safelisted, so the request needs no preflight. No Referer is sent
// (`referrerPolicy: 'no-referrer'`: the Hub has refused some). The CDN address a redirect led to is kept for
// the file's later ranges (one request each instead of two); when it stops answering (its signature expired)
// the next request goes through the resolve URL again. A response cut mid-way is resumed from the byte it
// reached, after a backoff, up to `retries` times; then ConnectionLostError.

import type { ByteSource } from './byte-source.ts';
import { ConnectionLostError, HubFileMismatchError, HubFileNotFoundError, RepoAccessError } from './hub-errors.ts';

export interface FetchSourceOptions {
  url: string;
  /** The file's size from the repository listing; every response must agree with it. */
  size: number;
  /** The commit the file is asked at; a response's X-Repo-Commit must match it when the server sends one. */
  commit?: string;
  accessToken?: string;
  fetch?: typeof fetch;
  /** Attempts after the first failure of one read. */
  retries?: number;
  /** First wait before a retry, doubled after each (ms). */
  backoffMs?: number;
  /** A response that delivers nothing for this long counts as cut (ms): a stalled connection never ends by itself. */
  stallMs?: number;
}

export const DEFAULT_RETRIES = 4;
export const DEFAULT_BACKOFF_MS = 500;
export const DEFAULT_STALL_MS = 30_000;

export function fetchByteSource(opts: FetchSourceOptions): ByteSource {
  const doFetch = opts.fetch ?? fetch;
  const retries = opts.retries ?? DEFAULT_RETRIES;
  const backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  const stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
  const name = opts.url;
  /** Where the last redirect led (the CDN), for the next range; null: go through opts.url. */
  let direct: string | null = null;

  /** One request for [from, end), its bytes copied into `out` at `from - begin`; returns how far it got. */
  async function attempt(out: Uint8Array, begin: number, from: number, end: number): Promise<number> {
    const stall = new AbortController();
    let timer = setTimeout(() => stall.abort(), stallMs);
    try {
      return await request(out, begin, from, end, stall.signal, () => {
        clearTimeout(timer);
        timer = setTimeout(() => stall.abort(), stallMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** `alive` is called on each chunk that arrives (it restarts the stall timer behind `signal`). */
  async function request(out: Uint8Array, begin: number, from: number, end: number, signal: AbortSignal, alive: () => void): Promise<number> {
    const url = direct ?? opts.url;
    const res = await doFetch(url, {
      signal,
      // The token is for the Hub; a cross-origin redirect drops it anyway, and the CDN URL is signed.
      headers: { Range: `bytes=${from}-${end - 1}`, ...(opts.accessToken && !direct ? { Authorization: `Bearer ${opts.accessToken}` } : {}) },
      referrerPolicy: 'no-referrer',
      redirect: 'follow',
    });
    if (direct && !res.ok) {
      await res.body?.cancel();
      direct = null; // expired or refused: resolve again
      return request(out, begin, from, end, signal, alive);
    }
    if (res.redirected && res.url && new URL(res.url).origin !== new URL(opts.url).origin) direct = res.url;
    if (res.status === 401 || res.status === 403) throw new RepoAccessError(`${name}: HTTP ${res.status} (gated or private repository: an access token is needed)`, res.status);
    if (res.status === 404) throw new HubFileNotFoundError(`${name}: HTTP 404 (the file is listed but not served)`);
    if (res.status !== 206) {
      await res.body?.cancel();
      throw new HubFileMismatchError(`${name}: answered HTTP ${res.status} to a Range request (expected 206 Partial Content)`);
    }
    const range = res.headers.get('content-range')?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
    if (!range || Number(range[1]) !== from) {
      await res.body?.cancel();
      throw new HubFileMismatchError(`${name}: Content-Range ${JSON.stringify(res.headers.get('content-range'))} does not answer bytes=${from}-${end - 1}`);
    }
    if (range[3] !== '*' && Number(range[3]) !== opts.size) {
      await res.body?.cancel();
      throw new HubFileMismatchError(`${name}: the server has ${range[3]} bytes, the repository listing says ${opts.size}`);
    }
    const commit = res.headers.get('x-repo-commit');
    if (opts.commit && commit && commit !== opts.commit) {
      await res.body?.cancel();
      throw new HubFileMismatchError(`${name}: served from commit ${commit}, not ${opts.commit} (the revision moved?)`);
    }
    let at = from;
    const reader = res.body!.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        return at; // cut mid-way: the caller resumes from here
      }
      if (chunk.done) return at;
      alive();
      const n = Math.min(chunk.value.length, end - at);
      out.set(chunk.value.subarray(0, n), at - begin);
      at += n;
    }
  }

  return {
    name,
    size: opts.size,
    read: async (begin, end) => {
      if (begin < 0 || end > opts.size || end < begin) throw new RangeError(`${name}: bytes ${begin}..${end} outside the file of ${opts.size} bytes`);
      const out = new Uint8Array(end - begin);
      if (end === begin) return out;
      let at = begin;
      let failures = 0;
      let last = '';
      while (at < end) {
        try {
          const reached = await attempt(out, begin, at, end);
          if (reached > at) failures = 0; // progress resets the budget: only a stuck transfer gives up
          if (reached === end) break;
          last = `cut at byte ${reached}`;
          at = reached;
        } catch (e) {
          // fetch's network failure, or our stall abort; HTTP answers are final
          if (!(e instanceof TypeError) && (e as Error).name !== 'AbortError') throw e;
          last = (e as Error).message;
        }
        if (++failures > retries) throw new ConnectionLostError(`${name}: connection lost at byte ${at} of ${begin}..${end} after ${retries + 1} attempts (${last}); run again to resume`);
        await new Promise((r) => setTimeout(r, backoffMs * 2 ** (failures - 1)));
      }
      return out;
    },
    close: async () => {},
  };
}
