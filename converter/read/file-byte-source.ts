// ByteSource and CheckpointFiles over browser File objects: a checkpoint folder picked in the page
// (<input webkitdirectory>), read in place. Each range is `Blob.slice(begin, end).arrayBuffer()`, so nothing is
// copied first and a 9 GB checkpoint is never held. Browser-safe: File and Blob only (Node has both, for tests).

import { ByteSourceError, type ByteSource, type CheckpointFiles } from './byte-source.ts';

/** One picked file: its path inside the picked folder ("model-00001-of-00002.safetensors", "sub/x.json"). */
export interface PickedFile {
  path: string;
  file: Blob;
}

export function blobByteSource(name: string, blob: Blob): ByteSource {
  return {
    name,
    size: blob.size,
    read: async (begin, end) => {
      if (begin < 0 || end < begin || end > blob.size) throw new ByteSourceError(`${name}: bytes ${begin}..${end} are past the end (the file has ${blob.size}; truncated?)`);
      try {
        return new Uint8Array(await blob.slice(begin, end).arrayBuffer());
      } catch (e) {
        // Chromium's NotReadableError: the file on disk changed or went away after it was picked.
        throw new ByteSourceError(`${name}: cannot be read (${(e as Error).message}); was it changed or moved since the folder was picked? Pick it again`);
      }
    },
    close: async () => {},
  };
}

/**
 * The files of a picked folder `folder` (its name, for messages) as a checkpoint. The identity for resuming
 * (byte-source.ts) is every file's path, size and modification time: a conversion continues only from one that
 * read the same download, not from another folder of the same name.
 */
export function pickedFiles(folder: string, files: readonly PickedFile[]): CheckpointFiles {
  const byPath = new Map(files.map((f) => [f.path, f.file]));
  const where = (file: string) => `${folder}/${file}`;
  const get = (file: string): Blob => {
    const blob = byPath.get(file);
    if (!blob) throw new ByteSourceError(`${where(file)}: no such file in the picked folder`);
    return blob;
  };
  const stamp = (f: PickedFile) => `${f.path}:${f.file.size}:${f.file instanceof File ? f.file.lastModified : ''}`;
  return {
    label: folder,
    identity: `${folder}\n${files.map(stamp).sort().join('\n')}`,
    where,
    has: (file) => byPath.has(file),
    text: async (file) => get(file).text(),
    open: async (file) => blobByteSource(where(file), get(file)),
  };
}
