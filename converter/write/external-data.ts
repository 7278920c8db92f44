// A WeightStore (src/onnx/graph.ts) that appends initializers to `<graph>.onnx_data`, starting
// `<graph>.onnx_data_1`, `_2`, … before a chunk reaches MAX_CHUNK_BYTES — transformers.js' chunk names
// (utils/model-loader.js getExternalDataChunkNames) and below Chrome's ~2 GB ArrayBuffer limit, since
// onnxruntime-web loads each chunk into one buffer (docs/model-format.md, Runtime constraints). Offsets are aligned as onnx's
// external_data_helper does (4096 for tensors ≥ 1 MiB, so a loader may mmap them; 64 otherwise).
//
// Graphs of one folder and dtype may share weights (SharedWeights): an initializer whose checkpoint name and
// bytes another graph already wrote is not written again but referenced in that graph's data file — the
// tied embedding table, which embed_tokens gathers rows from and the decoder's lm_head multiplies by. Such a
// graph then needs the other graph's file too (`borrowed()`; model.json lists it with the graph's chunks).

import type { WeightStore } from '../../src/onnx/graph.ts';
import type { TensorProto } from '../../src/onnx/proto.ts';
import type { ByteSink } from './byte-sink.ts';
import type { OutputFiles } from './output-files.ts';

/** Decimal 2 GB: under both 2^31 − 1 (protobuf/int32 offsets) and Chrome's 0x7fe00000 ArrayBuffer cap. */
export const MAX_CHUNK_BYTES = 2_000_000_000;

export function chunkName(graphFile: string, index: number): string {
  return `${graphFile}_data${index === 0 ? '' : `_${index}`}`;
}

function alignment(length: number): number {
  return length >= 1 << 20 ? 4096 : 64;
}

export interface ChunkFile {
  /** File name, relative to the .onnx file's folder (what the graph's `location` says). */
  name: string;
  bytes: number;
  sha256: string;
}

type ExternalRef = Extract<TensorProto['data'], { location: string }>;

/** The initializers the graphs of one folder dtype have written, by name and content, for reuse. */
export class SharedWeights {
  private readonly written = new Map<string, { sha256: string; ref: ExternalRef }>();

  /** `dir`: the folder every graph sharing weights writes its data files to (locations are file names). */
  constructor(readonly dir: string) {}

  /** Where `name` with exactly these bytes already is, if a graph wrote it. */
  find(name: string, sha256: string, length: number): ExternalRef | undefined {
    const w = this.written.get(name);
    return w && w.sha256 === sha256 && w.ref.length === length ? w.ref : undefined;
  }

  add(name: string, sha256: string, ref: ExternalRef): void {
    if (!this.written.has(name)) this.written.set(name, { sha256, ref });
  }

  /** What was written, to record and `add` back when a conversion resumes after the graphs that wrote it. */
  entries(): SharedEntry[] {
    return [...this.written].map(([name, w]) => ({ name, ...w }));
  }
}

export interface SharedEntry {
  name: string;
  sha256: string;
  ref: ExternalRef;
}

export class ExternalDataStore implements WeightStore {
  private sink: ByteSink | null = null;
  private readonly done: ChunkFile[] = [];
  private readonly zeros = new Uint8Array(4096);
  private readonly own = new Set<string>();
  private readonly borrowedFiles = new Set<string>();

  /** `graphFile` is the .onnx's file name; chunks are written beside it in `dir`. */
  constructor(private readonly files: OutputFiles, private readonly dir: string, private readonly graphFile: string, private readonly maxChunkBytes = MAX_CHUNK_BYTES, private readonly shared?: SharedWeights) {
    if (shared && shared.dir !== dir) throw new Error(`${graphFile}: weights can only be shared between graphs of one folder (${shared.dir}, not ${dir})`);
  }

  put(name: string, bytes: Uint8Array): TensorProto['data'] {
    if (!this.shared) return this.write(name, bytes);
    const sha256 = this.files.sha256(bytes);
    const known = this.shared.find(name, sha256, bytes.length);
    if (known) {
      if (!this.own.has(known.location)) this.borrowedFiles.add(known.location);
      return known;
    }
    const ref = this.write(name, bytes);
    this.shared.add(name, sha256, ref);
    return ref;
  }

  /** Data files of other graphs this graph reads shared weights from, in first-use order. */
  borrowed(): string[] {
    return [...this.borrowedFiles];
  }

  private write(name: string, bytes: Uint8Array): ExternalRef {
    if (bytes.length > this.maxChunkBytes) {
      throw new Error(`${this.graphFile}: initializer ${name} is ${bytes.length} bytes, over the ${this.maxChunkBytes}-byte external data chunk limit`);
    }
    let sink = this.sink ?? this.rotate();
    let offset = Math.ceil(sink.bytes / alignment(bytes.length)) * alignment(bytes.length);
    if (sink.bytes > 0 && offset + bytes.length > this.maxChunkBytes) {
      sink = this.rotate();
      offset = 0;
    }
    if (offset > sink.bytes) sink.append(this.zeros.subarray(0, offset - sink.bytes));
    sink.append(bytes);
    const location = this.chunkFile(this.done.length);
    this.own.add(location);
    return { location, offset, length: bytes.length };
  }

  /** Closes the last chunk and lists all chunks in order (none if the graph had no weights). */
  finish(): ChunkFile[] {
    this.closeCurrent();
    return this.done;
  }

  /** Closes an open chunk after a failure (its folder is about to be removed). */
  discard(): void {
    try {
      this.sink?.finish();
    } catch {
      // the disk already failed; the temporary folder goes away regardless
    }
    this.sink = null;
  }

  /**
   * Readies the chunk files the next put may create (the current one, if none is open yet, and the one after
   * it): awaited before each weight is read, since put is synchronous and a browser file opens asynchronously.
   */
  async prepareNext(): Promise<void> {
    const next = this.done.length + (this.sink ? 1 : 0);
    for (const i of this.sink ? [next] : [next, next + 1]) await this.files.prepare(`${this.dir}/${this.chunkFile(i)}`);
  }

  private chunkFile(index: number): string {
    return chunkName(this.graphFile, index);
  }

  private rotate(): ByteSink {
    if (this.sink) this.closeCurrent();
    this.sink = this.files.create(`${this.dir}/${this.chunkFile(this.done.length)}`);
    return this.sink;
  }

  private closeCurrent(): void {
    if (!this.sink) return;
    const { bytes, sha256 } = this.sink.finish();
    this.done.push({ name: this.chunkFile(this.done.length), bytes, sha256 });
    this.sink = null;
  }
}
