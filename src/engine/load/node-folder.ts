// A model folder on the local disk (Node: the CLI, tests, benchmarks). Not imported by the engine core.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LoadError, throwIfAborted, type ByteProgress, type ModelFolder } from './folder.ts';

export class NodeFolder implements ModelFolder {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get description(): string {
    return this.dir;
  }

  async read(path: string, onBytes: ByteProgress, signal: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal, `reading ${path}`);
    const full = join(this.dir, path);
    const size = await stat(full).then(
      (s) => s.size,
      () => {
        throw new LoadError(`${path}: missing from the model folder ${this.dir}`);
      },
    );
    const buf = await readFile(full);
    onBytes(buf.length, size);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
}
