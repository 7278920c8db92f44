// The models converted in this page (workers/convert-worker.ts), as the model screen lists them beside the
// downloaded ones: folders at the top of the origin-private file system named by src/protocol/convert.ts
// `convertedFolder` and `pickedFolder`. A folder with model.json is a model (the converter writes it last:
// converter/write/opfs-model-folder.ts); one without is a conversion that stopped, offered for resuming.
// `withConverted` joins them to the Cache Storage library (model-library.ts) behind one ModelLibrary.

import type { ModelFolder } from '../src/engine/load/folder.ts';
import { OpfsFolder } from '../src/engine/load/opfs-folder.ts';
import { manifestFiles } from '../src/model-folder/manifest.ts';
import { opfsFolderOf, opfsModelId, parseConvertedFolder } from '../src/protocol/convert.ts';
import type { ModelLibrary } from '../src/protocol/engine.ts';
import { EngineError } from '../src/protocol/errors.ts';
import type { CachedModel, ModelInfo, ModelSource } from '../src/protocol/messages.ts';
import { describe, MANIFEST, parseManifest } from './model-library.ts';

type Entries = AsyncIterable<[string, FileSystemHandle]>;

// The directory handle's async iteration is in TypeScript's DOM.AsyncIterable lib, which this project does not load.
const entries = (dir: FileSystemDirectoryHandle) => dir as unknown as Entries;

async function bytesUnder(dir: FileSystemDirectoryHandle): Promise<number> {
  let n = 0;
  for await (const [, h] of entries(dir)) n += h.kind === 'file' ? (await (h as FileSystemFileHandle).getFile()).size : await bytesUnder(h as FileSystemDirectoryHandle);
  return n;
}

export class ConvertedModels {
  constructor(private readonly root: () => Promise<FileSystemDirectoryHandle>) {}

  /** The engine's folder for a converted model's source, null for any other source. */
  folderFor(source: ModelSource): ModelFolder | null {
    const folder = source.kind === 'cached' ? opfsFolderOf(source.modelId) : null;
    return folder === null ? null : new OpfsFolder(async () => (await this.root()).getDirectoryHandle(folder), `${folder} (converted in this browser)`);
  }

  async list(): Promise<CachedModel[]> {
    const out: CachedModel[] = [];
    for await (const [name, h] of entries(await this.root())) {
      const target = parseConvertedFolder(name);
      if (h.kind !== 'directory' || !target) continue;
      const dir = h as FileSystemDirectoryHandle;
      const info = await this.manifestOf(name, dir);
      const modelId = opfsModelId(name);
      if (info) out.push({ modelId, name: info.name, totalBytes: info.totalBytes, storedBytes: info.storedBytes, complete: true });
      else out.push({ modelId, name: `${'repo' in target ? target.repo : target.picked} (${target.dtype}), conversion not finished`, totalBytes: 0, storedBytes: await bytesUnder(dir), complete: false, resume: target });
    }
    return out;
  }

  async inspect(folder: string): Promise<ModelInfo> {
    const dir = await (await this.root()).getDirectoryHandle(folder).catch(() => null);
    const info = dir && (await this.manifestOf(folder, dir));
    if (!info) throw new EngineError('load-failed', `${folder}: no converted model in this browser's storage (the conversion did not finish: resume it)`);
    return info;
  }

  async delete(folder: string): Promise<void> {
    try {
      await (await this.root()).removeEntry(folder, { recursive: true });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'NotFoundError') throw new EngineError('bad-input', `nothing is stored for ${folder}`);
      if (e instanceof DOMException && e.name === 'NoModificationAllowedError') throw new EngineError('bad-input', `${folder} is being written (a conversion is running in another tab or worker): cancel it first`);
      throw e;
    }
  }

  /** model.json's description of the folder, null when it has none (yet). */
  private async manifestOf(folder: string, dir: FileSystemDirectoryHandle): Promise<ModelInfo | null> {
    const handle = await dir.getFileHandle(MANIFEST).catch(() => null);
    if (!handle) return null;
    const manifest = parseManifest(await (await handle.getFile()).text(), folder);
    // model.json is written after every file it lists: each one is there whole.
    return describe(opfsModelId(folder), `${folder} (converted in this browser)`, manifest, new Map(manifestFiles(manifest).map((f) => [f.path, f.bytes])));
  }
}

/** One library over Cache Storage (`cache`) and the converted models: `opfs:` ids go to the latter. */
export function withConverted(cache: ModelLibrary, converted: ConvertedModels): ModelLibrary {
  return {
    inspect: (source, signal) => {
      const folder = source.kind === 'cached' ? opfsFolderOf(source.modelId) : null;
      return folder === null ? cache.inspect(source, signal) : converted.inspect(folder);
    },
    listCached: async (signal) => [...(await cache.listCached(signal)), ...(await converted.list())],
    deleteCached: (modelId, signal) => {
      const folder = opfsFolderOf(modelId);
      return folder === null ? cache.deleteCached(modelId, signal) : converted.delete(folder);
    },
  };
}
