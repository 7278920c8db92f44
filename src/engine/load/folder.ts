// Where a model folder's files come from. A `ModelFolder` reads one file by its path relative to model.json;
// the loader (load-model.ts) checks every file it reads against model.json's byte count and sha256, so a
// folder only has to deliver bytes. Implementations: url-folder.ts (any static host, with Cache Storage and
// resumable downloads), files-folder.ts (files picked or dropped in the browser), node-folder.ts (a path).

/** Bytes received so far of one file, and its size when known. */
export type ByteProgress = (done: number, total: number) => void;

export interface ModelFolder {
  /** Where the files come from, for messages ("https://…/tiny/", "/models/tiny", "3 dropped files"). */
  readonly description: string;
  /**
   * The whole file at `path`; `expectedBytes` (from model.json) sizes progress and resumable downloads.
   * `fresh`: prefer the source over a stored copy (model.json, which may change; the files it hashes cannot).
   */
  read(path: string, onBytes: ByteProgress, signal: AbortSignal, expectedBytes?: number, fresh?: boolean): Promise<Uint8Array>;
  /** Forgets a stored copy of `path` (a cached file that failed its check); true when there was one to forget. */
  evict?(path: string): Promise<boolean>;
}

/** A model folder file that is missing, unreadable, or not what model.json says. */
export class LoadError extends Error {
  override name = 'LoadError';
}

/** Throws the AbortError the protocol maps to `cancelled`. */
export function throwIfAborted(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new DOMException(`${what} was cancelled`, 'AbortError');
}
