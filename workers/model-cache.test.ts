// The store watch over a real Cache-shaped store: an in-memory map whose puts fail the way Cache Storage's do.
import { describe, expect, it } from 'vitest';
import type { CacheLike } from '../src/engine/load/url-folder.ts';
import { notStoredMessage, StoreWatch } from './model-cache.ts';

/** A map-backed cache that refuses writes once `capacity` bytes are stored, with Chromium's QuotaExceededError. */
function boundedCache(capacity: number): CacheLike & { keys(): string[] } {
  const entries = new Map<string, Uint8Array>();
  let used = 0;
  return {
    keys: () => [...entries.keys()],
    match: async (key) => (entries.has(key) ? new Response(entries.get(key) as Uint8Array<ArrayBuffer>) : undefined),
    delete: async (key) => {
      used -= entries.get(key)?.length ?? 0;
      return entries.delete(key);
    },
    put: async (key, response) => {
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (used + bytes.length > capacity) throw new DOMException('Quota exceeded.', 'QuotaExceededError');
      entries.set(key, bytes);
      used += bytes.length;
    },
  };
}

describe('StoreWatch', () => {
  it('passes reads and writes through and reports nothing while writes succeed', async () => {
    const inner = boundedCache(100);
    const watch = new StoreWatch();
    const cache = watch.wrap(inner);
    await cache.put('a', new Response(new Uint8Array(10)));
    expect(new Uint8Array(await (await cache.match('a'))!.arrayBuffer())).toHaveLength(10);
    expect(await cache.delete('a')).toBe(true);
    expect(inner.keys()).toEqual([]);
    expect(watch.failure).toBeNull();
  });

  it('names a full quota, still rethrows to the caller, and forgets it on reset', async () => {
    const watch = new StoreWatch();
    const cache = watch.wrap(boundedCache(16));
    await cache.put('small', new Response(new Uint8Array(8)));
    await expect(cache.put('big', new Response(new Uint8Array(64)))).rejects.toThrow('Quota exceeded.');
    expect(watch.failure).toMatch(/^The browser's storage for this site is full \(quota exceeded\): it runs now but will not be available offline/);
    watch.reset();
    expect(watch.failure).toBeNull();
  });

  it('keeps the first failure of a load and names other storage errors by their name', async () => {
    const watch = new StoreWatch();
    const denied = watch.wrap({ ...boundedCache(0), put: async () => { throw new DOMException('denied', 'SecurityError'); } });
    await expect(denied.put('a', new Response('x'))).rejects.toThrow('denied');
    await expect(watch.wrap(boundedCache(0)).put('b', new Response('x'))).rejects.toThrow('Quota exceeded.');
    expect(watch.failure).toBe(notStoredMessage(new DOMException('denied', 'SecurityError')));
    expect(watch.failure).toMatch(/^Storing the model files failed \(SecurityError: denied\)/);
  });
});
