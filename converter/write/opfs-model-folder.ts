// ModelFolderOutput on the browser's origin-private file system (dedicated workers: synchronous handles).
// The folder is `<root>/<name>/`; model.json is removed first and written last, so a folder without it is
// never taken for a model. A failed or cancelled run keeps its files and its resume journal
// (convert-progress.json, converter/resume.ts), so that the next run continues after its last finished graph. A file's synchronous handle opens asynchronously, so each file is `prepare`d
// (opened, as an OpfsSink) before the synchronous graph building `create`s it; the chunk prepared ahead that
// was never needed is closed and removed at the end.

import { createSHA256, type IHasher } from 'hash-wasm';
import type { FileEntry } from '../../src/model-folder/manifest.ts';
import { ExternalDataStore, MAX_CHUNK_BYTES, SharedWeights } from './external-data.ts';
import { OpfsSink, type SyncAccessHandle } from './opfs-sink.ts';
import type { ModelFolderOutput, OutputFiles } from './output-files.ts';

interface FileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
}

/** The part of FileSystemDirectoryHandle used (createSyncAccessHandle is in the WebWorker lib, not DOM's). */
export interface OpfsDirectory {
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectory>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandle>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
}

export class OpfsFolderError extends Error {
  override name = 'OpfsFolderError';
}

/**
 * A file's synchronous handle is exclusive: while another worker holds it, opening it fails with
 * NoModificationAllowedError. A run started right after a reload or Cancel meets that until the browser has
 * released the ended worker's handles (measured after a reload mid-write, in a profile on disk,
 * bench/browser-convert.ts), which the folder's lock (lockFolder) does not order. So wait for the handle this
 * long, then refuse, naming the file.
 */
export const HANDLE_WAIT_MS = 30_000;

/** The file's synchronous handle, once no other worker holds one. */
export async function openSyncHandle(file: FileHandle, path: string, waitMs = HANDLE_WAIT_MS): Promise<SyncAccessHandle> {
  const until = performance.now() + waitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await file.createSyncAccessHandle();
    } catch (e) {
      if ((e as DOMException).name !== 'NoModificationAllowedError') throw e;
      if (performance.now() + delay > until)
        throw new OpfsFolderError(`${path}: another tab or worker is writing this file (it is still open there after ${waitMs / 1000} s); close the other conversion, or wait for it to end, then convert again`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The part of the Web Locks API used (navigator.locks, in windows and workers). */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<void>;
}

/**
 * Holds the folder's lock until the returned release is called: two conversions into one folder (two tabs)
 * would otherwise rewrite each other's finished files and journal. A second one waits up to `waitMs` (a run
 * started right after a reload waits for the ended worker's lock, which the browser frees with the worker), then
 * is refused by name. Without Web Locks (Node's tests over converter/testing/memory-opfs.ts) there is no lock.
 */
export async function lockFolder(locks: LockManagerLike | undefined, folder: string, waitMs = HANDLE_WAIT_MS): Promise<() => void> {
  if (!locks) return () => {};
  return new Promise((resolve, reject) => {
    // granted: the lock is held until the callback's promise settles, i.e. until the caller releases it
    const granted = () => new Promise<void>((release) => resolve(release));
    locks.request(`fo1-convert:${folder}`, { signal: AbortSignal.timeout(waitMs) }, granted).catch((e: DOMException) => {
      if (e.name !== 'TimeoutError' && e.name !== 'AbortError') return reject(e);
      reject(new OpfsFolderError(`${folder}: another tab is converting into this model folder (still after ${waitMs / 1000} s); let it finish or close it, then convert again`));
    });
  });
}

const JOURNAL = 'convert-progress.json';

const split = (path: string) => {
  const parts = path.split('/');
  return { dirs: parts.slice(0, -1), file: parts.at(-1)! };
};

export class OpfsModelFolder implements ModelFolderOutput {
  private dir: OpfsDirectory | null = null;
  private hasher: IHasher | null = null;
  /** Releases the folder's lock (lockFolder), taken in `begin`. */
  private unlock: () => void = () => {};
  /** Opened ahead, by path inside the folder, not created yet. */
  private readonly prepared = new Map<string, OpfsSink>();
  private readonly stores: ExternalDataStore[] = [];
  private readonly files: OutputFiles = {
    prepare: async (path) => {
      if (this.prepared.has(path)) return;
      const { dirs, file } = split(path);
      const handle = await openSyncHandle(await (await this.subdir(dirs)).getFileHandle(file, { create: true }), `${this.out}/${path}`);
      this.prepared.set(path, await OpfsSink.open(`${this.out}/${path}`, handle));
    },
    create: (path) => {
      const sink = this.prepared.get(path);
      if (!sink) throw new OpfsFolderError(`${this.out}/${path}: written without being prepared (a converter bug: await prepare first)`);
      this.prepared.delete(path);
      return sink;
    },
    sha256: (bytes) => this.hasher!.init().update(bytes).digest('hex'),
  };

  readonly journal = {
    read: async (): Promise<string | null> => {
      const file = await this.dir!.getFileHandle(JOURNAL).catch((e: DOMException) => {
        if (e.name === 'NotFoundError') return null;
        throw e;
      });
      if (!file) return null;
      const h = await openSyncHandle(file, `${this.out}/${JOURNAL}`);
      try {
        const buf = new Uint8Array(h.getSize());
        h.read(buf, { at: 0 });
        return new TextDecoder().decode(buf);
      } finally {
        h.close();
      }
    },
    write: async (text: string): Promise<void> => {
      await this.writeFile(JOURNAL, new TextEncoder().encode(text));
    },
  };

  /** `out`: the model folder's name under `root` (navigator.storage.getDirectory() or a folder in it). */
  constructor(private readonly root: OpfsDirectory, readonly out: string, private readonly maxChunkBytes = MAX_CHUNK_BYTES) {}

  private async subdir(dirs: string[]): Promise<OpfsDirectory> {
    let d = this.dir!;
    for (const name of dirs) d = await d.getDirectoryHandle(name, { create: true });
    return d;
  }

  async begin(): Promise<void> {
    this.unlock = await lockFolder((globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks, this.out);
    this.hasher = await createSHA256();
    this.dir = await this.root.getDirectoryHandle(this.out, { create: true });
    await this.dir.removeEntry('model.json').catch((e: DOMException) => {
      if (e.name !== 'NotFoundError') throw e;
    });
  }

  sharedWeights(relDir: string): SharedWeights {
    return new SharedWeights(relDir);
  }

  weightStore(relPath: string, shared?: SharedWeights): ExternalDataStore {
    const { dirs, file } = split(relPath);
    const store = new ExternalDataStore(this.files, dirs.join('/'), file, this.maxChunkBytes, shared);
    this.stores.push(store);
    return store;
  }

  async writeFile(relPath: string, bytes: Uint8Array): Promise<FileEntry> {
    await this.files.prepare(relPath);
    const sink = this.files.create(relPath);
    sink.append(bytes);
    return { path: relPath, ...sink.finish() };
  }

  async commit(manifest: unknown): Promise<FileEntry> {
    await this.releasePrepared();
    const entry = await this.writeFile('model.json', new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
    await this.dir!.removeEntry(JOURNAL).catch(() => {
      // no graph was written by this run or an earlier one: there is no journal
    });
    this.unlock();
    return entry;
  }

  /** Keeps what was written, for the next run to resume from its journal. */
  async abort(): Promise<void> {
    for (const s of this.stores) s.discard(); // closes the chunk being written: its handle locks the file
    await this.releasePrepared();
    this.unlock();
  }

  /** Closes and removes the files opened ahead but never written (an unneeded next chunk). */
  private async releasePrepared(): Promise<void> {
    for (const [path, sink] of this.prepared) {
      sink.finish();
      const { dirs, file } = split(path);
      await (await this.subdir(dirs)).removeEntry(file);
    }
    this.prepared.clear();
  }
}
