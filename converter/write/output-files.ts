// Where a conversion's files go, as the converter's shared modules see it (browser-safe): a folder of
// append-only, incrementally hashed files (ByteSink). Node writes a temporary folder renamed into place
// (model-folder.ts); the browser writes OPFS (opfs-model-folder.ts), where a file's synchronous handle can only
// be opened asynchronously — hence `prepare`, awaited before the synchronous graph building that may `create`.

import type { FileEntry } from '../../src/model-folder/manifest.ts';
import type { ByteSink } from './byte-sink.ts';
import type { ExternalDataStore, SharedWeights } from './external-data.ts';

/** Files by path inside one folder. */
export interface OutputFiles {
  /** Makes `path` ready to `create` synchronously (OPFS opens its handle here; Node has nothing to do). */
  prepare(path: string): Promise<void>;
  create(path: string): ByteSink;
  /** One-shot SHA-256 (hex) of bytes about to be written, to find a weight another graph already wrote. */
  sha256(bytes: Uint8Array): string;
}

/** A model folder being written: graphs with external data, then the small files, then model.json last. */
export interface ModelFolderOutput {
  /** Where it ends up, for messages and the result. */
  readonly out: string;
  begin(): Promise<void>;
  /** A registry for graphs in the folder `relDir` (e.g. onnx) to share weights through. */
  sharedWeights(relDir: string): SharedWeights;
  /** A WeightStore for the graph at `relPath` (e.g. onnx/decoder_model_merged_q4.onnx), sharing through `shared`. */
  weightStore(relPath: string, shared?: SharedWeights): ExternalDataStore;
  writeFile(relPath: string, bytes: Uint8Array): Promise<FileEntry>;
  /** Writes model.json, which makes the folder a model. */
  commit(manifest: unknown): Promise<FileEntry>;
  /** After a failure: removes what the run wrote, or keeps it for a later run to resume (with a journal). */
  abort(): Promise<void>;
  /** Where the resume journal lives (converter/resume.ts); absent: a run always starts over. */
  journal?: JournalFile;
}

/** One small file rewritten whole, outside the model's files; removed when the folder commits. */
export interface JournalFile {
  read(): Promise<string | null>;
  write(text: string): Promise<void>;
}
