// A file read by byte range: what the checkpoint reader needs from a local shard or a Hub file alike
// (the safetensors header first, then each tensor's bytes), so the same reader streams a checkpoint from disk
// or from the network without holding it. Browser-safe: the Node implementation is node-byte-source.ts, the
// fetch one fetch-byte-source.ts, the one over files picked in a page file-byte-source.ts.

/** A file that cannot be opened or read whole (missing, truncated, changed since it was picked). */
export class ByteSourceError extends Error {
  override name = 'ByteSourceError';
}

export interface ByteSource {
  /** Where the bytes come from (a path or a URL), for messages. */
  readonly name: string;
  /** Total bytes (a Hub file's size comes from the repository listing). */
  readonly size: number;
  /** Bytes [begin, end) of the file; an error naming the file when they cannot all be read. */
  read(begin: number, end: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A checkpoint's files by name: a local folder or a Hub repository at one commit. */
export interface CheckpointFiles {
  /** The folder path or the repository (`owner/name@sha`), for messages. */
  readonly label: string;
  /** The commit the files are read at (a Hub repository's resolved sha). */
  readonly commit?: string;
  /**
   * Without a commit, what a resumed conversion must have read too (converter/resume.ts's key; default the
   * label): picked files have no commit, and two different downloads can share a folder name.
   */
  readonly identity?: string;
  /** `file` as messages name it (a path inside the folder, or the resolve URL). */
  where(file: string): string;
  has(file: string): boolean;
  text(file: string): Promise<string>;
  open(file: string): Promise<ByteSource>;
}

/** A local folder (a path: Node only, whose file system module is loaded only then) or the files as given. */
export async function checkpointFiles(folder: string | CheckpointFiles): Promise<CheckpointFiles> {
  return typeof folder === 'string' ? (await import('./node-byte-source.ts')).folderFiles(folder) : folder;
}
