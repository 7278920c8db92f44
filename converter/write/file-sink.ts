// The converter's only way to put bytes on a local disk (Node): append-only files written synchronously (the
// graph builder's WeightStore.put is synchronous), each hashed as it is written. Tests swap `nodeFiles` for a
// FileSystem that fails (a full disk: ENOSPC) to prove that no half-written model folder survives.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ByteSink } from './byte-sink.ts';
import type { OutputFiles } from './output-files.ts';

export interface FileSystem {
  open(path: string): number;
  write(fd: number, bytes: Uint8Array): void;
  close(fd: number): void;
}

export const nodeFiles: FileSystem = {
  open: (path) => openSync(path, 'w'),
  write: (fd, bytes) => {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  },
  close: (fd) => closeSync(fd),
};

/** One output file: appends, counts and hashes. */
export class FileSink implements ByteSink {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly fs: FileSystem, readonly path: string) {
    this.fd = fs.open(path);
  }

  append(b: Uint8Array): void {
    this.fs.write(this.fd, b);
    this.hash.update(b);
    this.bytes += b.length;
  }

  /** Closes the file; returns its size and sha256 (hex). */
  finish(): { bytes: number; sha256: string } {
    this.fs.close(this.fd);
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

/** OutputFiles on the local file system, through `fs` (tests inject a failing one). */
export function nodeOutput(fs: FileSystem = nodeFiles): OutputFiles {
  return {
    prepare: async () => {},
    create: (path) => new FileSink(fs, path),
    sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  };
}
