// A model folder in the browser's origin-private file system: what the in-page converter writes
// (workers/convert-worker.ts). Each file is read through its handle's `getFile()`, a File as a picked folder
// gives (files-folder.ts), so nothing is copied into another store first.
import { LoadError, throwIfAborted, type ByteProgress, type ModelFolder } from './folder.ts';

export class OpfsFolder implements ModelFolder {
  /** `open`: the folder's handle (e.g. navigator.storage.getDirectory() → getDirectoryHandle(name)). */
  constructor(private readonly open: () => Promise<FileSystemDirectoryHandle>, readonly description: string) {}

  async read(path: string, onBytes: ByteProgress, signal: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal, `reading ${path}`);
    const parts = path.split('/');
    let file: File;
    try {
      let dir = await this.open();
      for (const name of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(name);
      file = await (await dir.getFileHandle(parts.at(-1)!)).getFile();
    } catch (e) {
      if (e instanceof DOMException && e.name === 'NotFoundError') throw new LoadError(`${path}: missing from ${this.description} (a conversion that did not finish, or storage the browser cleared)`);
      throw e;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    onBytes(bytes.length, file.size);
    return bytes;
  }
}
