import { describe, expect, it } from 'vitest';
import { MemoryHandle } from '../testing/memory-opfs.ts';
import { OpfsFolderError, lockFolder, openSyncHandle, type LockManagerLike } from './opfs-model-folder.ts';

const held = () => Object.assign(new Error('Access Handles cannot be created if there is another open Access Handle'), { name: 'NoModificationAllowedError' });

describe('openSyncHandle', () => {
  it('waits while another worker still holds the file (a run right after a reload), then opens it', async () => {
    const h = new MemoryHandle();
    let refusals = 2;
    const file = { createSyncAccessHandle: async () => (refusals-- > 0 ? Promise.reject(held()) : h) };
    await expect(openSyncHandle(file, 'fo1/onnx/a.onnx_data')).resolves.toBe(h);
    expect(refusals).toBe(-1);
  });

  it('refuses, naming the file, when it stays held (a second tab converting), and passes other errors through', async () => {
    const file = { createSyncAccessHandle: () => Promise.reject(held()) };
    await expect(openSyncHandle(file, 'fo1/onnx/a.onnx_data', 300)).rejects.toThrow(OpfsFolderError);
    await expect(openSyncHandle(file, 'fo1/onnx/a.onnx_data', 300)).rejects.toThrow(/fo1\/onnx\/a\.onnx_data: another tab or worker is writing this file \(it is still open there after 0\.3 s\)/);
    const gone = { createSyncAccessHandle: () => Promise.reject(Object.assign(new Error('gone'), { name: 'NotFoundError' })) };
    await expect(openSyncHandle(gone, 'x', 300)).rejects.toThrow('gone');
  });
});

/** Web Locks' exclusive mode for one name, as the browser grants it: in request order, a waiting request dropped when its signal aborts. */
class OneNameLocks implements LockManagerLike {
  private tail: Promise<void> = Promise.resolve();
  request(_name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<void> {
    const before = this.tail;
    let freed!: () => void;
    this.tail = before.then(() => new Promise<void>((r) => (freed = r)));
    return new Promise((resolve, reject) => {
      let granted = false;
      options.signal?.addEventListener('abort', () => !granted && reject(options.signal!.reason));
      void before.then(async () => {
        if (options.signal?.aborted) return freed();
        granted = true;
        await callback();
        freed();
        resolve();
      });
    });
  }
}

describe('lockFolder', () => {
  it('lets one conversion write a folder at a time: a second waits, and is refused by name if the first goes on', async () => {
    const locks = new OneNameLocks();
    const release = await lockFolder(locks, 'fo1--a--b--q4');
    await expect(lockFolder(locks, 'fo1--a--b--q4', 200)).rejects.toThrow(OpfsFolderError);
    const waiting = lockFolder(locks, 'fo1--a--b--q4', 5_000);
    let got = false;
    void waiting.then(() => (got = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBe(false);
    release();
    (await waiting)();
    await expect(lockFolder(locks, 'fo1--a--b--q4', 200).then((r) => r())).resolves.toBeUndefined();
  });

  it('names the folder when refused, and is a no-op without Web Locks', async () => {
    const locks = new OneNameLocks();
    await lockFolder(locks, 'f');
    await expect(lockFolder(locks, 'f', 100)).rejects.toThrow(/^f: another tab is converting into this model folder \(still after 0\.1 s\)/);
    const none = await lockFolder(undefined, 'f');
    expect(none()).toBeUndefined();
  });
});
