// The model screen's view of model folders (protocol `ModelLibrary`): what a source would download, read
// from its model.json before any weights move, and which folders this browser has stored. Stored files
// are the engine's own Cache Storage entries (src/engine/load/url-folder.ts): one entry per file under its
// absolute URL, plus `?fo1-part=start-end` entries for the finished chunks of a download still under way.
// So a folder's id is its URL, and its stored size is read from the cache keys without opening any body
// but model.json's.

import { toEngineError } from '../src/engine/errors.ts';
import { chooseDtype, parseManifestText } from '../src/engine/load/load-model.ts';
import { FilesFolder } from '../src/engine/load/files-folder.ts';
import { manifestFiles, type ModelManifest } from '../src/model-folder/manifest.ts';
import type { ModelLibrary } from '../src/protocol/engine.ts';
import { EngineError } from '../src/protocol/errors.ts';
import type { CachedModel, ModelFileInfo, ModelInfo, ModelSource } from '../src/protocol/messages.ts';

/** The part of a Cache Storage `Cache` this module uses. */
export interface CacheStore {
  keys(): Promise<readonly { url: string }[]>;
  match(key: string): Promise<Response | undefined>;
  delete(key: string): Promise<boolean>;
}

export const MANIFEST = 'model.json';
const PART = /[?&]fo1-part=(\d+)-(\d+)$/;

/** A folder URL as the engine keys it: absolute, ending in '/'. */
export function folderId(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

export class CacheModelLibrary implements ModelLibrary {
  constructor(private readonly open: () => Promise<CacheStore>, private readonly fetchFn: typeof fetch = globalThis.fetch.bind(globalThis)) {}

  async inspect(source: ModelSource, signal: AbortSignal): Promise<ModelInfo> {
    switch (source.kind) {
      case 'url':
      case 'cached': {
        const id = folderId(source.kind === 'url' ? source.url : source.modelId);
        const cache = await this.open();
        const manifest = await this.fetchManifest(id, cache, signal);
        return describe(id, id, manifest, await storedBytes(cache, id));
      }
      case 'files': {
        const folder = new FilesFolder(source.files);
        const bytes = await folder.read(MANIFEST, () => {}, signal);
        return describe(null, folder.description, parseManifest(new TextDecoder().decode(bytes), 'the picked folder'), new Map());
      }
    }
  }

  async listCached(): Promise<CachedModel[]> {
    const cache = await this.open();
    const keys = (await cache.keys()).map((k) => k.url);
    const ids = keys.filter((k) => k.endsWith(`/${MANIFEST}`)).map((k) => k.slice(0, -MANIFEST.length));
    const stored = storedFrom(keys);
    const out: CachedModel[] = [];
    for (const id of ids) {
      const res = await cache.match(id + MANIFEST);
      if (!res) continue;
      let manifest: ModelManifest;
      try {
        manifest = parseManifest(await res.text(), id);
      } catch {
        continue; // not a model folder after all (e.g. a page stored under that name): nothing to offer
      }
      const info = describe(id, id, manifest, stored(id));
      out.push({ modelId: id, name: info.name, totalBytes: info.totalBytes, storedBytes: info.storedBytes, complete: info.storedBytes === info.totalBytes });
    }
    return out;
  }

  async deleteCached(modelId: string): Promise<void> {
    const id = folderId(modelId);
    const cache = await this.open();
    const mine = (await cache.keys()).map((k) => k.url).filter((k) => k.startsWith(id));
    if (mine.length === 0) throw new EngineError('bad-input', `nothing is stored for ${id}`);
    await Promise.all(mine.map((k) => cache.delete(k)));
  }

  /** model.json from the host, or the stored copy when the host cannot be reached (offline). */
  private async fetchManifest(id: string, cache: CacheStore, signal: AbortSignal): Promise<ModelManifest> {
    const url = id + MANIFEST;
    let res: Response;
    try {
      res = await this.fetchFn(url, { signal, cache: 'no-store' });
    } catch (e) {
      if (signal.aborted) throw new EngineError('cancelled', 'inspecting the model was cancelled');
      const stored = await cache.match(url);
      if (stored) return parseManifest(await stored.text(), url);
      throw new EngineError('load-failed', `could not reach ${url} (${e instanceof Error ? e.message : String(e)}); check the address and your connection`);
    }
    if (res.status === 404) throw new EngineError('load-failed', `no model here: ${url} does not exist (HTTP 404). The address must be the folder that holds model.json`);
    if (!res.ok) throw new EngineError('load-failed', `${url} answered HTTP ${res.status} ${res.statusText}`.trim());
    return parseManifest(await res.text(), url);
  }
}

/** model.json's text as a manifest; wrong answers (a web page, not JSON, not a model) as `load-failed`. */
export function parseManifest(text: string, where: string): ModelManifest {
  try {
    return parseManifestText(text, where);
  } catch (e) {
    throw toEngineError(e);
  }
}

/** The files loading would read (the dtype the engine picks), each marked stored or not. */
export function describe(modelId: string | null, where: string, manifest: ModelManifest, stored: Map<string, number>): ModelInfo {
  const dtype = chooseDtype(manifest);
  const entries = manifestFiles(manifest, dtype);
  // A file counts with its stored chunks when only part of it has arrived (the download resumes there).
  const have = (path: string, bytes: number) => Math.min(stored.get(path) ?? 0, bytes);
  const files: ModelFileInfo[] = entries.map((f) => ({ path: f.path, bytes: f.bytes, stored: have(f.path, f.bytes) === f.bytes }));
  const totalBytes = files.reduce((n, f) => n + f.bytes, 0);
  const storedTotal = entries.reduce((n, f) => n + have(f.path, f.bytes), 0);
  return { modelId, name: manifest.source, where, dtype, files, totalBytes, storedBytes: storedTotal };
}

async function storedBytes(cache: CacheStore, id: string): Promise<Map<string, number>> {
  return storedFrom((await cache.keys()).map((k) => k.url))(id);
}

/**
 * Stored bytes per file path of a folder, from cache keys alone: a whole file counts as complete (the
 * engine stores it only after its checks), a part key counts its byte range.
 */
export function storedFrom(keys: readonly string[]): (id: string) => Map<string, number> {
  return (id) => {
    const out = new Map<string, number>();
    for (const key of keys) {
      if (!key.startsWith(id)) continue;
      const part = PART.exec(key);
      const path = decodeURI(key.slice(id.length).replace(PART, ''));
      const bytes = part ? Number(part[2]) - Number(part[1]) : Infinity;
      out.set(path, (out.get(path) ?? 0) + bytes);
    }
    return out;
  };
}
