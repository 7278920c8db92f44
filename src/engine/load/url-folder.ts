// A model folder on any static host (a dev server, a CDN, Hugging Face `resolve/main/` URLs), read with
// fetch. With a cache (the browser's Cache Storage) every file is kept for offline reuse, and downloads are
// resumable: a file is fetched in `chunkBytes` HTTP Range requests, each finished chunk is stored at once,
// so a reload after an interruption fetches only the chunks still missing. Once a file is complete it is
// stored whole and its chunks are deleted. A host that ignores Range (200 instead of 206) still works, in
// one piece and without resume.
import { LoadError, throwIfAborted, type ByteProgress, type ModelFolder } from './folder.ts';

/** The part of the Cache Storage API this module uses (`await caches.open(name)` satisfies it). */
export interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export interface UrlFolderOptions {
  cache?: CacheLike;
  fetch?: typeof fetch;
  /** Range request size; a smaller chunk loses less on an interruption, a larger one makes fewer requests. */
  chunkBytes?: number;
}

export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

export class UrlFolder implements ModelFolder {
  readonly base: string;
  private readonly cache?: CacheLike;
  private readonly fetchFn: typeof fetch;
  private readonly chunkBytes: number;

  constructor(base: string, options: UrlFolderOptions = {}) {
    this.base = base.endsWith('/') ? base : `${base}/`;
    this.cache = options.cache;
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  }

  get description(): string {
    return this.base;
  }

  url(path: string): string {
    return new URL(path, this.base).href;
  }

  async read(path: string, onBytes: ByteProgress, signal: AbortSignal, expectedBytes?: number, fresh = false): Promise<Uint8Array> {
    throwIfAborted(signal, `loading ${path}`);
    const url = this.url(path);
    if (fresh && this.cache) {
      try {
        const bytes = await this.readWhole(path, url, 0, expectedBytes, onBytes, signal);
        await this.store(url, bytes);
        return bytes;
      } catch (e) {
        // Offline or the host is down: the stored copy (if any) is the folder as last loaded.
        if (!(e instanceof LoadError)) throw e;
        const stored = await this.cache.match(url);
        if (!stored) throw e;
        return new Uint8Array(await stored.arrayBuffer());
      }
    }
    const cached = await this.cache?.match(url);
    if (cached) {
      const bytes = new Uint8Array(await cached.arrayBuffer());
      onBytes(bytes.length, bytes.length);
      return bytes;
    }
    const bytes = this.cache && expectedBytes !== undefined && expectedBytes > 0
      ? await this.readInChunks(path, url, expectedBytes, onBytes, signal)
      : await this.readWhole(path, url, 0, expectedBytes, onBytes, signal);
    await this.store(url, bytes);
    return bytes;
  }

  async evict(path: string): Promise<boolean> {
    return (await this.cache?.delete(this.url(path))) ?? false;
  }

  private partKey(url: string, start: number, end: number): string {
    return `${url}${url.includes('?') ? '&' : '?'}fo1-part=${start}-${end}`;
  }

  private async readInChunks(path: string, url: string, total: number, onBytes: ByteProgress, signal: AbortSignal): Promise<Uint8Array> {
    const out = new Uint8Array(total);
    const parts: string[] = [];
    for (let start = 0; start < total; start += this.chunkBytes) {
      const end = Math.min(start + this.chunkBytes, total);
      const key = this.partKey(url, start, end);
      parts.push(key);
      const stored = await this.cache!.match(key);
      if (stored) {
        const chunk = new Uint8Array(await stored.arrayBuffer());
        if (chunk.length === end - start) {
          out.set(chunk, start);
          onBytes(end, total);
          continue;
        }
      }
      const res = await this.get(path, url, signal, `bytes=${start}-${end - 1}`);
      if (res.status === 200) {
        // The host ignores Range: this response is the whole file.
        return this.body(path, res, 0, total, (d) => onBytes(d, total), signal);
      }
      const chunk = await this.body(path, res, start, end - start, (d) => onBytes(start + d, total), signal);
      out.set(chunk, start);
      await this.cache!.put(key, new Response(chunk as Uint8Array<ArrayBuffer>)).catch(() => {
        // Storage full or denied: this load still succeeds, only resuming it would not.
      });
    }
    await Promise.all(parts.map((k) => this.cache!.delete(k)));
    return out;
  }

  private async readWhole(path: string, url: string, start: number, expected: number | undefined, onBytes: ByteProgress, signal: AbortSignal): Promise<Uint8Array> {
    const res = await this.get(path, url, signal);
    const length = Number(res.headers.get('content-length') ?? expected ?? 0);
    return this.body(path, res, start, length, (d) => onBytes(d, length), signal);
  }

  private async get(path: string, url: string, signal: AbortSignal, range?: string): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchFn(url, { signal, headers: range ? { Range: range } : undefined });
    } catch (e) {
      throwIfAborted(signal, `loading ${path}`);
      throw new LoadError(`${path}: could not fetch ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (res.status === 404) throw new LoadError(`${path}: missing from ${this.base} (HTTP 404)`);
    if (!res.ok) throw new LoadError(`${path}: HTTP ${res.status} ${res.statusText} from ${url}`);
    return res;
  }

  /** The response body, streamed with progress; `size` is a hint (0 when unknown). */
  private async body(path: string, res: Response, offset: number, size: number, onBytes: (done: number) => void, signal: AbortSignal): Promise<Uint8Array> {
    if (!res.body) return new Uint8Array(await res.arrayBuffer());
    const reader = res.body.getReader();
    let buf = new Uint8Array(size > 0 ? size : 1 << 20);
    let done = 0;
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        if (done + value.length > buf.length) {
          const grown = new Uint8Array(Math.max(buf.length * 2, done + value.length));
          grown.set(buf.subarray(0, done));
          buf = grown;
        }
        buf.set(value, done);
        done += value.length;
        onBytes(done);
      }
    } catch (e) {
      throwIfAborted(signal, `loading ${path}`);
      const got = offset + done;
      throw new LoadError(`${path}: the download was interrupted after ${got} bytes (${e instanceof Error ? e.message : String(e)}); loading again resumes it`);
    }
    return done === buf.length ? buf : buf.slice(0, done);
  }

  private async store(url: string, bytes: Uint8Array): Promise<void> {
    await this.cache?.put(url, new Response(bytes as Uint8Array<ArrayBuffer>)).catch(() => {
      // Storage full or denied: the model still loads, it just is not available offline.
    });
  }
}
