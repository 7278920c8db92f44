// The WebGPU KV store: GroupQueryAttention's past_present_share_buffer mode (kv-cache.ts has the design).
// Per layer and kind one GPU buffer (1, kvh, capacity, hd) of the graph's KV type (float32, or float16 in the
// fp16/q4f16 graphs) is fed as past_key_values.* and bound as
// the pre-allocated present.* output. ORT-web registers a GPUBuffer once per run and hands out the same
// device pointer for every tensor over it, so GQA finds past.DataRaw() == present.DataRaw() and switches to
// share-buffer mode (contrib_ops/webgpu/bert/group_query_attention.cc): it writes the S new rows at
// seqlens_k + 1 − S and reads [0, total) — no concat, no copy, no allocation per token. The present shape
// GQA computes is max(total, capacity) = capacity, which is why the fetch is capacity long.
// Capacity: a power of two ≥ the run's total (at least MIN_CAPACITY); when a run needs more, new buffers of
// twice the size take the held positions in one GPU copy per head — amortized O(1) per token.
import type { Ort, OrtTensor } from '../session.ts';
import { kvSlots, pastName, presentName } from '../../model-folder/graph-io.ts';
import type { KvRun, KvShape, KvStore } from './kv-cache.ts';

/** Smallest capacity allocated: prompts are hundreds of tokens, so smaller buffers would only grow at once. */
export const MIN_CAPACITY = 256;

const ELEMENT_BYTES = { float32: 4, float16: 2 } as const;
/** GPUBufferUsage STORAGE | COPY_SRC | COPY_DST (the WebGPU spec's flag values; this lib has no GPUBufferUsage). */
const KV_USAGE = 0x80 | 0x04 | 0x08;

export class GpuKvStore implements KvStore {
  private buffers: GPUBuffer[] = []; // kvSlots order
  private tensors: OrtTensor[] = []; // one (1, kvh, capacity, hd) tensor over each buffer
  private capacity = 0;

  constructor(
    private readonly ort: Ort,
    private readonly device: GPUDevice,
    private readonly shape: KvShape,
    private readonly minCapacity = MIN_CAPACITY,
    private readonly dtype: 'float32' | 'float16' = 'float32',
  ) {}

  prepare(length: number, total: number): KvRun {
    this.reserve(total, length);
    const feeds: Record<string, OrtTensor> = {};
    const fetches: Record<string, OrtTensor> = {};
    kvSlots(this.shape.layers).forEach(([i, kind], j) => {
      feeds[pastName(i, kind)] = this.tensors[j];
      fetches[presentName(i, kind)] = this.tensors[j];
    });
    return { feeds, fetches };
  }

  commit(): KvStore {
    return this;
  }

  release(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers = [];
    this.tensors = [];
    this.capacity = 0;
  }

  /** Makes capacity ≥ total, keeping positions [0, keep) of every head. */
  private reserve(total: number, keep: number): void {
    if (total <= this.capacity) return;
    const capacity = Math.max(this.minCapacity, 2 ** Math.ceil(Math.log2(total)));
    const { kvHeads, headDim, layers } = this.shape;
    const bytes = kvHeads * capacity * headDim * ELEMENT_BYTES[this.dtype];
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) throw new Error(`KV cache: ${total} positions need ${bytes}-byte buffers per layer, over this GPU's ${limit}-byte storage binding limit`);
    const buffers = kvSlots(layers).map(([i, kind]) => this.device.createBuffer({ size: bytes, usage: KV_USAGE, label: `kv ${i}.${kind} ×${capacity}` }));
    if (keep > 0) {
      // (1, kvh, capacity, hd): head h starts at h·capacity·hd, so each head's rows move separately.
      const enc = this.device.createCommandEncoder();
      const row = headDim * ELEMENT_BYTES[this.dtype];
      this.buffers.forEach((old, j) => {
        for (let h = 0; h < kvHeads; h++) enc.copyBufferToBuffer(old, h * this.capacity * row, buffers[j], h * capacity * row, keep * row);
      });
      this.device.queue.submit([enc.finish()]);
    }
    for (const b of this.buffers) b.destroy();
    this.buffers = buffers;
    this.capacity = capacity;
    this.tensors = buffers.map((b) => this.ort.Tensor.fromGpuBuffer(b, { dataType: this.dtype, dims: [1, kvHeads, capacity, headDim] }));
  }
}
