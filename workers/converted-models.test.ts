// The converted models' library over a stand-in of the origin-private file system's directory handles, filled
// from real folders on disk: the tiny model as a finished conversion, and the same files without model.json as
// one that stopped. The engine's own loader reads the finished one through `folderFor`, checking every sha256.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoadError } from '../src/engine/load/folder.ts';
import { loadModelFiles } from '../src/engine/load/load-model.ts';
import { tinyModel } from '../src/engine/testing/tiny-model.ts';
import { manifestFiles, validateManifest } from '../src/model-folder/manifest.ts';
import type { ModelLibrary } from '../src/protocol/engine.ts';
import { EngineError } from '../src/protocol/errors.ts';
import { ConvertedModels, withConverted } from './converted-models.ts';

const notFound = (name: string) => new DOMException(`${name}: not found`, 'NotFoundError');

/** A FileSystemDirectoryHandle's async API (what ConvertedModels and OpfsFolder use), in memory. */
class MemoryDir {
  readonly kind = 'directory';
  readonly entries = new Map<string, MemoryDir | { kind: 'file'; bytes: Uint8Array<ArrayBuffer> }>();

  static fromDisk(path: string, skip: (name: string) => boolean = () => false): MemoryDir {
    const d = new MemoryDir();
    for (const name of readdirSync(path)) {
      if (skip(name)) continue;
      const p = join(path, name);
      d.entries.set(name, statSync(p).isDirectory() ? MemoryDir.fromDisk(p) : { kind: 'file', bytes: new Uint8Array(readFileSync(p)) });
    }
    return d;
  }

  async getDirectoryHandle(name: string): Promise<MemoryDir> {
    const e = this.entries.get(name);
    if (!(e instanceof MemoryDir)) throw notFound(name);
    return e;
  }

  async getFileHandle(name: string) {
    const e = this.entries.get(name);
    if (!e || e instanceof MemoryDir) throw notFound(name);
    return { kind: 'file', getFile: async () => new File([e.bytes], name) };
  }

  async removeEntry(name: string): Promise<void> {
    if (!this.entries.delete(name)) throw notFound(name);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<[string, unknown]> {
    for (const [name, e] of this.entries) yield [name, e instanceof MemoryDir ? e : await this.getFileHandle(name)];
  }
}

const FOLDER = 'fo1--omlab--VLM-FO1_Qwen2.5-VL-3B-v01--q4';
const UNFINISHED = 'fo1--me--fo1-finetune--q4f16';
const UNFINISHED_PICKED = 'fo1-picked--VLM-FO1_Qwen2.5-VL-3B-v01--q4';
let dir: string;
let root: MemoryDir;
let models: ConvertedModels;

beforeAll(async () => {
  dir = (await tinyModel(['q4'])).dir;
  root = new MemoryDir();
  root.entries.set(FOLDER, MemoryDir.fromDisk(dir));
  root.entries.set(UNFINISHED, MemoryDir.fromDisk(dir, (n) => n === 'model.json'));
  root.entries.set(UNFINISHED_PICKED, MemoryDir.fromDisk(dir, (n) => n === 'model.json'));
  root.entries.set('fo1-e2e', MemoryDir.fromDisk(dir)); // not a conversion's name: not listed
  models = new ConvertedModels(async () => root as unknown as FileSystemDirectoryHandle);
}, 120_000);

const manifest = () => validateManifest(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
const bytesOf = (paths: string[]) => paths.reduce((n, p) => n + statSync(join(dir, p)).size, 0);

describe('ConvertedModels', () => {
  it('lists a finished conversion as a stored model and one without model.json (from the Hub or a picked folder) as resumable; other folders not at all', async () => {
    const m = manifest();
    const onnx = readdirSync(join(dir, 'onnx')).map((f) => `onnx/${f}`);
    const all = [...readdirSync(dir).filter((f) => f !== 'onnx'), ...onnx];
    expect(await models.list()).toEqual([
      { modelId: `opfs:${FOLDER}/`, name: m.source, totalBytes: manifestFiles(m, 'q4').reduce((n, f) => n + f.bytes, 0), storedBytes: manifestFiles(m, 'q4').reduce((n, f) => n + f.bytes, 0), complete: true },
      { modelId: `opfs:${UNFINISHED}/`, name: 'me/fo1-finetune (q4f16), conversion not finished', totalBytes: 0, storedBytes: bytesOf(all.filter((f) => f !== 'model.json')), complete: false, resume: { repo: 'me/fo1-finetune', dtype: 'q4f16' } },
      // A folder picked on this computer: resuming it needs the folder picked again.
      { modelId: `opfs:${UNFINISHED_PICKED}/`, name: 'VLM-FO1_Qwen2.5-VL-3B-v01 (q4), conversion not finished', totalBytes: 0, storedBytes: bytesOf(all.filter((f) => f !== 'model.json')), complete: false, resume: { picked: 'VLM-FO1_Qwen2.5-VL-3B-v01', dtype: 'q4' } },
    ]);
  });

  it("opens a converted model for the engine, whose loader checks every file's sha256", async () => {
    const folder = models.folderFor({ kind: 'cached', modelId: `opfs:${FOLDER}/` })!;
    const files = await loadModelFiles(folder, undefined, () => {}, new AbortController().signal);
    expect(files.dtype).toBe('q4');
    expect(Object.keys(files.graphs).sort()).toEqual(Object.keys(manifest().components).sort());
    expect(models.folderFor({ kind: 'cached', modelId: 'https://example.org/m/' })).toBeNull();
    expect(models.folderFor({ kind: 'url', url: `opfs:${FOLDER}/` })).toBeNull();
  });

  it('an unfinished folder has no model to inspect or load, and says so', async () => {
    await expect(models.inspect(UNFINISHED)).rejects.toThrow(`${UNFINISHED}: no converted model in this browser's storage (the conversion did not finish: resume it)`);
    const folder = models.folderFor({ kind: 'cached', modelId: `opfs:${UNFINISHED}/` })!;
    await expect(folder.read('model.json', () => {}, new AbortController().signal)).rejects.toThrow(LoadError);
  });

  it('joined to the Cache Storage library: opfs ids go to the converted models, folder URLs to the cache', async () => {
    const calls: string[] = [];
    const cache: ModelLibrary = {
      inspect: async (s) => {
        calls.push(`inspect ${s.kind}`);
        throw new EngineError('load-failed', 'cache');
      },
      listCached: async () => [{ modelId: 'https://h/m/', name: 'downloaded', totalBytes: 1, storedBytes: 1, complete: true }],
      deleteCached: async (id) => void calls.push(`delete ${id}`),
    };
    const lib = withConverted(cache, models);
    const signal = new AbortController().signal;
    expect((await lib.listCached(signal)).map((m) => m.modelId)).toEqual(['https://h/m/', `opfs:${FOLDER}/`, `opfs:${UNFINISHED}/`, `opfs:${UNFINISHED_PICKED}/`]);
    expect((await lib.inspect({ kind: 'cached', modelId: `opfs:${FOLDER}/` }, signal)).dtype).toBe('q4');
    await expect(lib.inspect({ kind: 'url', url: 'https://h/m/' }, signal)).rejects.toThrow('cache');
    await lib.deleteCached('https://h/m/', signal);
    expect(calls).toEqual(['inspect url', 'delete https://h/m/']);
  });

  it('deletes a converted folder whole; deleting it again is a bad-input error', async () => {
    await withConverted({} as ModelLibrary, models).deleteCached(`opfs:${UNFINISHED}/`, new AbortController().signal);
    expect(root.entries.has(UNFINISHED)).toBe(false);
    await expect(models.delete(UNFINISHED)).rejects.toMatchObject({ code: 'bad-input', message: `nothing is stored for ${UNFINISHED}` });
  });
});
