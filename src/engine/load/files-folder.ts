// A model folder the user picked or dropped in the browser: `File`s whose webkitRelativePath (directory
// pickers and drops) or plain name locates them. The top folder's own name is dropped, so "tiny/onnx/x.onnx"
// answers the path "onnx/x.onnx"; when several candidates end with the path, the shortest prefix wins.
import { LoadError, throwIfAborted, type ByteProgress, type ModelFolder } from './folder.ts';

export class FilesFolder implements ModelFolder {
  private readonly byPath = new Map<string, File>();

  constructor(files: readonly File[]) {
    for (const f of files) {
      const rel = (f.webkitRelativePath || f.name).replace(/\\/g, '/');
      const parts = rel.split('/');
      // Register every suffix, so it works whether or not the folder name is part of the relative path.
      for (let i = parts.length - 1; i >= 0; i--) {
        const key = parts.slice(i).join('/');
        if (!this.byPath.has(key)) this.byPath.set(key, f);
      }
    }
  }

  get description(): string {
    return `${new Set(this.byPath.values()).size} picked files`;
  }

  async read(path: string, onBytes: ByteProgress, signal: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal, `reading ${path}`);
    const file = this.byPath.get(path);
    if (!file) throw new LoadError(`${path}: missing from the picked folder (pick the folder that holds model.json)`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    onBytes(bytes.length, file.size);
    return bytes;
  }
}
