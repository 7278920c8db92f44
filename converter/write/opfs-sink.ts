// ByteSink on the browser's origin-private file system: a FileSystemSyncAccessHandle (dedicated workers only),
// whose writes are synchronous like the graph builder's, hashed incrementally with hash-wasm (WebCrypto cannot
// hash incrementally). `checkpoint()` saves the hash state over the bytes written, and `OpfsSink.open` with it
// continues the same file after a reload: the file is cut back to the checkpoint's length (bytes written
// after it are written again), and the final sha256 is that of the whole file.

import { createSHA256, type IHasher } from 'hash-wasm';
import type { ByteSink, SinkCheckpoint } from './byte-sink.ts';

/** The part of FileSystemSyncAccessHandle the sink uses (the WebWorker lib has the type; this project's DOM lib does not). */
export interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(newSize: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

export class OpfsSinkError extends Error {
  override name = 'OpfsSinkError';
}

/** The origin's storage quota ran out mid-file; what was written is kept, for the conversion to resume. */
export class StorageFullError extends OpfsSinkError {
  override name = 'StorageFullError';
}

/** base::File::Error's FILE_ERROR_NO_SPACE (Chromium, base/files/file.h). */
const FILE_ERROR_NO_SPACE = -8;

export class OpfsSink implements ByteSink {
  private constructor(
    readonly name: string,
    private readonly handle: SyncAccessHandle,
    private readonly hash: IHasher,
    private at: number,
  ) {}

  /** A new file, or the one `from` checkpointed (its later bytes dropped). */
  static async open(name: string, handle: SyncAccessHandle, from?: SinkCheckpoint): Promise<OpfsSink> {
    const hash = await createSHA256();
    if (!from) {
      handle.truncate(0);
      return new OpfsSink(name, handle, hash.init(), 0);
    }
    const size = handle.getSize();
    if (size < from.bytes) throw new OpfsSinkError(`${name}: ${size} bytes stored, fewer than the ${from.bytes} its checkpoint says were written (storage cleared?)`);
    handle.truncate(from.bytes);
    hash.load(from.hashState);
    return new OpfsSink(name, handle, hash, from.bytes);
  }

  get bytes(): number {
    return this.at;
  }

  append(b: Uint8Array): void {
    let n: number;
    try {
      n = this.handle.write(b, { at: this.at });
    } catch (e) {
      if ((e as Error).name !== 'QuotaExceededError') throw e;
      throw this.full(b.length);
    }
    // Chromium reports some failed writes by returning, not throwing: base::File's negative error code read as
    // an unsigned 32-bit count (measured: 2^32 − 8, FILE_ERROR_NO_SPACE, when an off-the-record profile's
    // in-memory storage filled up during bench/browser-convert.ts).
    if (n > b.length && n - 2 ** 32 === FILE_ERROR_NO_SPACE) throw this.full(b.length);
    if (n !== b.length) throw new OpfsSinkError(`${this.name}: ${n > b.length ? `the write failed (browser file error ${n - 2 ** 32})` : `wrote ${n} of ${b.length} bytes`} at ${this.at}`);
    this.hash.update(b);
    this.at += b.length;
  }

  private full(needed: number): StorageFullError {
    return new StorageFullError(`${this.name}: the browser's storage quota ran out after ${this.at} bytes of this file (${needed} more needed at least); free space or allow persistent storage, then convert again to resume`);
  }

  /** The state to continue from; flushes first so that the bytes it counts are stored. */
  checkpoint(): SinkCheckpoint {
    this.handle.flush();
    return { bytes: this.at, hashState: this.hash.save() };
  }

  finish(): { bytes: number; sha256: string } {
    this.handle.flush();
    this.handle.close();
    return { bytes: this.at, sha256: this.hash.digest('hex') };
  }
}
