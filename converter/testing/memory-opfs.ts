// An in-memory stand-in for the origin-private file system (Node has none), with the semantics OpfsSink and
// OpfsModelFolder rely on: a synchronous handle writes at an offset, truncates and reports its size;
// directories create on demand and remove entries (NotFoundError when absent). The real OPFS is for the
// Chromium e2e.

import type { OpfsDirectory } from '../write/opfs-model-folder.ts';
import type { SyncAccessHandle } from '../write/opfs-sink.ts';

export class MemoryHandle implements SyncAccessHandle {
  data = new Uint8Array(0);
  closed = false;
  read(b: Uint8Array, options?: { at?: number }): number {
    const part = this.data.subarray(options?.at ?? 0, (options?.at ?? 0) + b.length);
    b.set(part);
    return part.length;
  }
  write(b: Uint8Array, options?: { at?: number }): number {
    const at = options?.at ?? 0;
    if (at + b.length > this.data.length) {
      const grown = new Uint8Array(Math.max(at + b.length, this.data.length * 2));
      grown.set(this.data);
      this.data = grown.subarray(0, at + b.length);
    }
    this.data.set(b, at);
    return b.length;
  }
  truncate(n: number): void {
    this.data = this.data.slice(0, n);
  }
  getSize(): number {
    return this.data.length;
  }
  flush(): void {}
  close(): void {
    this.closed = true;
  }
}

const notFound = (name: string) => Object.assign(new Error(`${name}: not found`), { name: 'NotFoundError' });

export class MemoryDirectory implements OpfsDirectory {
  readonly dirs = new Map<string, MemoryDirectory>();
  readonly files = new Map<string, MemoryHandle>();

  async getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<MemoryDirectory> {
    let d = this.dirs.get(name);
    if (!d && !options?.create) throw notFound(name);
    if (!d) this.dirs.set(name, (d = new MemoryDirectory()));
    return d;
  }

  async getFileHandle(name: string, options?: { create?: boolean }) {
    if (!this.files.has(name) && !options?.create) throw notFound(name);
    if (!this.files.has(name)) this.files.set(name, new MemoryHandle());
    const h = this.files.get(name)!;
    return { createSyncAccessHandle: async () => h };
  }

  async removeEntry(name: string): Promise<void> {
    if (!this.files.delete(name) && !this.dirs.delete(name)) throw notFound(name);
  }

  /** Every file below, by path. */
  list(prefix = ''): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [n, h] of this.files) out.set(prefix + n, h.data);
    for (const [n, d] of this.dirs) for (const [p, b] of d.list(`${prefix}${n}/`)) out.set(p, b);
    return out;
  }
}
