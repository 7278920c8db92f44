// An in-memory stand-in for Cache Storage (what the engine's UrlFolder and the worker's model library use in
// the browser), for Node tests.

export class MemoryCache {
  readonly entries = new Map<string, Uint8Array>();

  async keys(): Promise<{ url: string }[]> {
    return [...this.entries.keys()].map((url) => ({ url }));
  }

  async match(key: string): Promise<Response | undefined> {
    const v = this.entries.get(key);
    return v ? new Response(v as Uint8Array<ArrayBuffer>) : undefined;
  }

  async put(key: string, r: Response): Promise<void> {
    this.entries.set(key, new Uint8Array(await r.arrayBuffer()));
  }

  async delete(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }
}
