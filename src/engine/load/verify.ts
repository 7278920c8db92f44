// Every file of a model folder is checked against model.json before it reaches onnxruntime: the byte count
// first (cheap, and it names truncated downloads), then the sha256 (WebCrypto, the same in Node and browsers).
import type { FileEntry } from '../../model-folder/manifest.ts';
import { LoadError } from './folder.ts';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Throws a LoadError naming the file when `bytes` is not the file model.json describes. */
export async function verifyFile(entry: FileEntry, bytes: Uint8Array): Promise<void> {
  if (bytes.length !== entry.bytes) {
    throw new LoadError(`${entry.path}: ${bytes.length} bytes, but model.json says ${entry.bytes} (the file is truncated or from another conversion)`);
  }
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256) {
    throw new LoadError(`${entry.path}: sha256 ${actual} does not match model.json (${entry.sha256}); the file is corrupt or from another conversion`);
  }
}
