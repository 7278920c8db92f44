// The decoder's KV cache as ORT tensors: past_key_values.{i}.{key,value} (1, kvh, P, hd) in, present.* out
// (converter/emit/decoder.ts decoderIO). Each run returns a new, longer cache (GQA without a shared buffer);
// on WebGPU its tensors are GPU buffers (session.ts) fed straight back, never read on the CPU.
// Ownership: a cache owns its tensors until `dispose`. The engine keeps a follow-up prefix's cache alive
// while decoding from it, and disposes each per-token cache once the next one replaces it.
import type { OrtTensor } from '../session.ts';

export class KvCache {
  private constructor(
    private readonly tensors: Record<string, OrtTensor>, // by past_key_values.* name
    readonly length: number,
  ) {}

  static presentNames(layers: number): string[] {
    return Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat();
  }

  /** A cache of length 0; `empty()` builds one (1, kvh, 0, hd) tensor. */
  static empty(layers: number, empty: () => OrtTensor): KvCache {
    const tensors: Record<string, OrtTensor> = {};
    for (let i = 0; i < layers; i++) for (const kind of ['key', 'value']) tensors[`past_key_values.${i}.${kind}`] = empty();
    return new KvCache(tensors, 0);
  }

  feeds(): Record<string, OrtTensor> {
    return { ...this.tensors };
  }

  /** The cache the decoder's present.* outputs describe, `added` positions longer than this one. */
  extendedBy(outputs: Record<string, OrtTensor>, added: number): KvCache {
    const tensors: Record<string, OrtTensor> = {};
    for (const name of Object.keys(this.tensors)) {
      const present = outputs[name.replace('past_key_values.', 'present.')];
      if (!present) throw new Error(`decoder produced no ${name.replace('past_key_values.', 'present.')}`);
      tensors[name] = present;
    }
    return new KvCache(tensors, this.length + added);
  }

  /** Frees the tensors (GPU buffers on WebGPU); the cache must not be used afterwards. */
  dispose(): void {
    for (const t of Object.values(this.tensors)) t.dispose();
  }
}
