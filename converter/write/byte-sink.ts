// An output file as the converter writes it: appended in order and hashed as it goes (model.json lists every
// file's sha256, and a 2 GB chunk is never read back to hash it). Browser-safe: the Node implementation is
// file-sink.ts, the browser one opfs-sink.ts. Appends are synchronous because the graph builder's
// WeightStore.put is.

export interface ByteSink {
  /** Bytes appended so far. */
  readonly bytes: number;
  append(b: Uint8Array): void;
  /** Closes the file; its size and sha256 (hex). */
  finish(): { bytes: number; sha256: string };
}

/** Where a sink stands, to continue it after a reload: the bytes kept and the hash state over exactly them. */
export interface SinkCheckpoint {
  bytes: number;
  /** hash-wasm's saved SHA-256 state (IHasher.save()). */
  hashState: Uint8Array;
}
