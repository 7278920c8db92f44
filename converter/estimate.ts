// The q4 model folder's size before converting, from the checkpoint's tensor shapes alone (safetensors
// headers), so the page can say what a conversion will keep before any weight is read. It follows the weight
// formats of converter/emit/linear.ts: a 2-D weight (N, K) with K ≥ the block size becomes int4 blocks
// (converter/quantize/q4.ts: 16 code bytes, a float32 scale and half a zero-point byte per block of 32 per row),
// every other tensor stays float32; the tokenizer files are copied as they are. q4f16 keeps the same weights
// (its float16 pass changes activations and the KV cache, not what is stored), so this is its size too.
// An estimate: the graphs' own bytes and weights two graphs share are not counted apart (converter/estimate.test.ts
// checks it against a real conversion).

import type { WeightSource } from './read/weights.ts';

const BLOCK = 32;

export interface FolderEstimate {
  /** The whole folder. */
  bytes: number;
  /** The largest single weight as stored: what one GPU buffer must hold (the embedding table, in FO1). */
  largestTensorBytes: number;
}

/** The model folder a q4 (or q4f16) conversion of `ck` writes, about; `copied`: the tokenizer files' sizes. */
export function estimateQ4Folder(ck: Pick<WeightSource, 'names' | 'shape'>, copied: number): FolderEstimate {
  let bytes = copied;
  let largest = 0;
  for (const name of ck.names()) {
    const shape = ck.shape(name) ?? [];
    const [N, K] = shape;
    // (N, k_blocks, 16) codes + a scale + half a packed zero point per block, or float32
    const stored = shape.length === 2 && K >= BLOCK ? N * Math.ceil(K / BLOCK) * (BLOCK / 2 + 4 + 0.5) : shape.reduce((a, b) => a * b, 1) * 4;
    bytes += stored;
    largest = Math.max(largest, stored);
  }
  return { bytes: Math.round(bytes), largestTensorBytes: Math.round(largest) };
}

/** The checkpoint's parameter count. */
export function countParams(ck: Pick<WeightSource, 'names' | 'shape'>): number {
  let n = 0;
  for (const name of ck.names()) n += (ck.shape(name) ?? []).reduce((a, b) => a * b, 1);
  return n;
}
