// The decoder's KV cache: past_key_values.{i}.{key,value} in, present.{i}.* out (src/model-folder/graph-io.ts
// decoderIO). A KvCache is a view — the first `length` positions of a KvStore — and a store is one of:
//
//   GpuKvStore (gpu-kv-store.ts, WebGPU): GroupQueryAttention's past_present_share_buffer mode, as
//     onnxruntime-genai runs it. Per layer one (1, kvh, capacity, hd) GPU buffer is both the past feed and the
//     pre-allocated present fetch, so GQA sees past == present and writes only the new rows, in place; the
//     attention mask has the valid length (GQA's seqlens_k / total_sequence_length come from it). Capacity
//     grows geometrically, never per token, and nothing is copied to the CPU.
//   Int4KvStore (int4/int4-decoder.ts, the engine's own wasm kernels): per layer (kvh, capacity, hd) float32
//     arrays in the kernels' memory, written in place like the GPU store; no ORT tensors at all.
//   FreshKvStore (wasm, and what transformers.js does everywhere): each run returns new present tensors of
//     length past + S. ORT-web's wasm backend copies every CPU feed into its heap and never writes
//     pre-allocated CPU fetches back, so past and present can never share memory there (bench/kv-context.ts
//     measures what the copies cost).
//
// Views of one store share its memory: a run from a view writes positions ≥ its length, so every other live
// view longer than that becomes stale (using one throws). The engine only ever extends its newest view or
// the follow-up prefix, which is why a follow-up needs no copy at all: its tail overwrites the last answer.
// Ownership: views of length > 0 hold the store; when the last one is disposed the store frees its memory
// (an empty view holds nothing, so never disposing it leaks nothing).
import { kvSlots, pastName, presentName } from '../../model-folder/graph-io.ts';
import type { OrtTensor } from '../session.ts';

/** The per-layer KV geometry of a decoder (TextConfig's numLayers, numKvHeads, headDim). */
export interface KvShape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

/** What one decoder run needs from the cache. */
export interface KvRun {
  /** past_key_values.* */
  feeds: Record<string, OrtTensor>;
  /** Pre-allocated present.* outputs (share-buffer mode), or null: ORT allocates them. */
  fetches: Record<string, OrtTensor> | null;
  /** Where a store outside ORT keeps the cache (int4/int4-decoder.ts); absent for ORT-fed stores. */
  memory?: KvMemory;
}

/** Per layer, the byte offsets of the int8 key and value arrays in the kernels' memory (layout: int4/kv-cache.as.ts). */
export interface KvMemory {
  capacity: number;
  layers: { key: number; value: number }[];
}

export interface KvStore {
  /** Makes room for positions [0, total) and returns the KV feeds/fetches of a run over [length, total). */
  prepare(length: number, total: number): KvRun;
  /** The store that holds the run's result: this one (updated in place) or one built from `outputs`. */
  commit(outputs: Record<string, OrtTensor>): KvStore;
  /** Frees the memory; a later `prepare` may allocate again. */
  release(): void;
}

/** Live views and references of each store. */
const views = new WeakMap<KvStore, Set<KvCache>>();

export class KvCache {
  private stale = false;
  private disposed = false;

  private constructor(
    private readonly store: KvStore,
    readonly length: number,
  ) {
    if (length > 0) viewsOf(store).add(this);
  }

  static presentNames(layers: number): string[] {
    return kvSlots(layers).map(([i, kind]) => presentName(i, kind));
  }

  /** A cache of length 0 over `store`. */
  static empty(store: KvStore): KvCache {
    return new KvCache(store, 0);
  }

  /**
   * The feeds (and pre-allocated fetches) of a run of `added` positions after this cache. Views of the same
   * store that are longer than this one are overwritten by it and become stale.
   */
  prepare(added: number): KvRun {
    this.check();
    for (const v of viewsOf(this.store)) if (v.length > this.length) v.stale = true;
    return this.store.prepare(this.length, this.length + added);
  }

  /** The cache the run's outputs describe, `added` positions longer than this one (which stays usable). */
  extendedBy(outputs: Record<string, OrtTensor>, added: number): KvCache {
    this.check();
    return new KvCache(this.store.commit(outputs), this.length + added);
  }

  /** Drops this view; the store's memory goes with its last non-empty view. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const live = viewsOf(this.store);
    if (live.delete(this) && live.size === 0) this.store.release();
  }

  private check(): void {
    if (this.disposed) throw new Error('this KV cache was disposed');
    if (this.stale) throw new Error(`this KV cache (${this.length} positions) was overwritten by a run from a shorter cache of the same sequence`);
  }
}

function viewsOf(store: KvStore): Set<KvCache> {
  let set = views.get(store);
  if (!set) views.set(store, (set = new Set()));
  return set;
}

/** Per-run presents (past + S long) as ORT allocates them; each run gives a new store. */
export class FreshKvStore implements KvStore {
  private constructor(
    private readonly layers: number,
    private readonly tensors: Record<string, OrtTensor>, // by past_key_values.* name
  ) {}

  /** Length-0 tensors from `empty()`, one (1, kvh, 0, hd) per slot. */
  static empty(layers: number, empty: () => OrtTensor): FreshKvStore {
    return new FreshKvStore(layers, Object.fromEntries(kvSlots(layers).map(([i, kind]) => [pastName(i, kind), empty()])));
  }

  prepare(): KvRun {
    return { feeds: { ...this.tensors }, fetches: null };
  }

  commit(outputs: Record<string, OrtTensor>): KvStore {
    const tensors: Record<string, OrtTensor> = {};
    for (const [i, kind] of kvSlots(this.layers)) {
      const present = outputs[presentName(i, kind)];
      if (!present) throw new Error(`decoder produced no ${presentName(i, kind)}`);
      tensors[pastName(i, kind)] = present;
    }
    return new FreshKvStore(this.layers, tensors);
  }

  release(): void {
    for (const t of Object.values(this.tensors)) t.dispose();
  }
}
