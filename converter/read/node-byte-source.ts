// ByteSource and CheckpointFiles over the local file system (Node only).

import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteSourceError, type ByteSource, type CheckpointFiles } from './byte-source.ts';

export async function openFileSource(path: string): Promise<ByteSource> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new ByteSourceError(`${path}: cannot open (${e.code ?? e.message})`);
  });
  const { size } = await fh.stat();
  return {
    name: path,
    size,
    read: async (begin, end) => {
      const buf = new Uint8Array(end - begin);
      const { bytesRead } = await fh.read(buf, 0, buf.length, begin);
      if (bytesRead !== buf.length) throw new ByteSourceError(`${path}: bytes ${begin}..${end} are past the end (${bytesRead} of ${buf.length} read; truncated?)`);
      return buf;
    },
    close: () => fh.close(),
  };
}

export function folderFiles(dir: string): CheckpointFiles {
  return {
    label: dir,
    where: (file) => join(dir, file),
    has: (file) => existsSync(join(dir, file)),
    text: (file) => readFile(join(dir, file), 'utf8'),
    open: (file) => openFileSource(join(dir, file)),
  };
}
