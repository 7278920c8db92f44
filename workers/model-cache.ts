// The Cache Storage cache that holds downloaded model files (the model library lists the same one), and a
// watch on the writes into it. The engine's URL folder keeps loading when a file cannot be stored — the
// model then runs from memory — so the failure never becomes an error; the watch remembers why the first
// write of a load failed, so the page can say the model will not be there offline, and why (a quota
// error gets a clear message).
import type { CacheLike } from '../src/engine/load/url-folder.ts';

export const MODEL_CACHE = 'fo1-models-v1';

export function openModelCache(): Promise<Cache> {
  return caches.open(MODEL_CACHE);
}

/** Why a model could not be kept, for a person: a full storage quota is named as such. */
export function notStoredMessage(e: unknown): string {
  const keep = 'it runs now but will not be available offline; delete a stored model or free disk space, then load it again to keep it';
  if (e instanceof DOMException && e.name === 'QuotaExceededError') return `The browser's storage for this site is full (quota exceeded): ${keep}.`;
  return `Storing the model files failed (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}): ${keep}.`;
}

export class StoreWatch {
  private first: string | null = null;

  /** Why the first failed write since the last `reset` failed, or null when every write succeeded. */
  get failure(): string | null {
    return this.first;
  }

  reset(): void {
    this.first = null;
  }

  /** `cache`, with every failed `put` recorded before it is rethrown to the caller. */
  wrap(cache: CacheLike): CacheLike {
    return {
      match: (key) => cache.match(key),
      delete: (key) => cache.delete(key),
      put: async (key, response) => {
        try {
          await cache.put(key, response);
        } catch (e) {
          this.first ??= notStoredMessage(e);
          throw e;
        }
      },
    };
  }
}
