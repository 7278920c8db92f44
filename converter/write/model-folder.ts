// Writes a model folder atomically: everything goes into `<out>.partial-<pid>` beside the destination, and
// only a complete folder (model.json last) is renamed to `<out>`. A failed run removes its temporary folder,
// so no folder that looks valid is ever left half-written.

import { mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { FileEntry } from '../../src/model-folder/manifest.ts';
import { ExternalDataStore, MAX_CHUNK_BYTES, SharedWeights } from './external-data.ts';
import { nodeFiles, nodeOutput, type FileSystem } from './file-sink.ts';
import type { ModelFolderOutput, OutputFiles } from './output-files.ts';

export class ModelFolderWriter implements ModelFolderOutput {
  readonly out: string;
  readonly tmp: string;
  private readonly stores: ExternalDataStore[] = [];
  private readonly files: OutputFiles;

  constructor(out: string, fs: FileSystem = nodeFiles, private readonly maxChunkBytes = MAX_CHUNK_BYTES) {
    this.out = resolve(out);
    this.tmp = `${this.out}.partial-${process.pid}`;
    this.files = nodeOutput(fs);
  }

  async begin(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
    mkdirSync(join(this.tmp, 'onnx'), { recursive: true });
  }

  /** A WeightStore for the graph at `relPath` (e.g. onnx/decoder_model_merged_q4.onnx), sharing through `shared`. */
  weightStore(relPath: string, shared?: SharedWeights): ExternalDataStore {
    const store = new ExternalDataStore(this.files, this.dirOf(relPath), relPath.split('/').pop()!, this.maxChunkBytes, shared);
    this.stores.push(store);
    return store;
  }

  /** A registry for graphs in the folder `relDir` (e.g. onnx) to share weights through. */
  sharedWeights(relDir: string): SharedWeights {
    return new SharedWeights(join(this.tmp, relDir));
  }

  private dirOf(relPath: string): string {
    return join(this.tmp, dirname(relPath));
  }

  async writeFile(relPath: string, bytes: Uint8Array): Promise<FileEntry> {
    mkdirSync(join(this.tmp, dirname(relPath)), { recursive: true });
    const sink = this.files.create(join(this.tmp, relPath));
    sink.append(bytes);
    return { path: relPath, ...sink.finish() };
  }

  /** Writes model.json and moves the folder into place (replacing an older one). */
  async commit(manifest: unknown): Promise<FileEntry> {
    const entry = await this.writeFile('model.json', new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
    const old = `${this.out}.old-${process.pid}`;
    mkdirSync(dirname(this.out), { recursive: true });
    await rm(old, { recursive: true, force: true });
    await rename(this.out, old).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await rename(this.tmp, this.out);
    await rm(old, { recursive: true, force: true });
    return entry;
  }

  async abort(): Promise<void> {
    for (const s of this.stores) s.discard();
    await rm(this.tmp, { recursive: true, force: true });
  }
}
