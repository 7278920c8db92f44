import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixture } from '../../fixtures/fixture.ts';
import { manifestFiles } from '../../src/model-folder/manifest.ts';
import { convert } from '../convert.ts';
import { MemoryDirectory } from '../testing/memory-opfs.ts';
import { OpfsModelFolder } from '../write/opfs-model-folder.ts';
import { Checkpoint } from './checkpoint.ts';
import { blobByteSource, pickedFiles, type PickedFile } from './file-byte-source.ts';

const root = mkdtempSync(join(tmpdir(), 'picked-'));
const ckpt = join(root, 'ckpt');
let picked: PickedFile[];

beforeAll(async () => {
  await writeFixture({ preset: 'tiny', out: ckpt, seed: 5, maxShardBytes: 6e6 });
  // The folder as a page gets it from <input webkitdirectory>: File objects, by path inside the folder.
  picked = await Promise.all((await readdir(ckpt)).map(async (path) => ({ path, file: new File([await readFile(join(ckpt, path))], path, { lastModified: 1_700_000_000_000 }) })));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('blobByteSource', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  const src = blobByteSource('x.bin', new File([bytes], 'x.bin'));

  it('has the file size and reads any range [begin, end), empty ones included', async () => {
    expect(src.size).toBe(1000);
    expect(await src.read(0, 8)).toEqual(bytes.subarray(0, 8));
    expect(await src.read(251, 600)).toEqual(bytes.subarray(251, 600));
    expect(await src.read(990, 1000)).toEqual(bytes.subarray(990));
    expect(await src.read(500, 500)).toEqual(new Uint8Array(0));
  });

  it('refuses a range past the end, naming the file', async () => {
    await expect(src.read(900, 1001)).rejects.toMatchObject({ name: 'ByteSourceError', message: 'x.bin: bytes 900..1001 are past the end (the file has 1000; truncated?)' });
  });
});

describe('pickedFiles', () => {
  it('names files inside the picked folder, reads their text and bytes, refuses one not picked', async () => {
    const files = pickedFiles('ckpt', picked);
    expect(files.label).toBe('ckpt');
    expect(files.where('config.json')).toBe('ckpt/config.json');
    expect(files.has('config.json')).toBe(true);
    expect(files.has('preprocessor_config.json.bak')).toBe(false);
    expect(JSON.parse(await files.text('config.json'))).toEqual(JSON.parse(await readFile(join(ckpt, 'config.json'), 'utf8')));
    const shard = picked.find((f) => f.path.endsWith('.safetensors'))!;
    const src = await files.open(shard.path);
    expect(src.size).toBe(shard.file.size);
    expect(await src.read(8, 64)).toEqual(new Uint8Array((await readFile(join(ckpt, shard.path))).subarray(8, 64)));
    await expect(files.open('nope.safetensors')).rejects.toThrow('ckpt/nope.safetensors: no such file in the picked folder');
  });

  it('has an identity for resuming that changes with any file’s size or modification time, not with the order picked', () => {
    const id = pickedFiles('ckpt', picked).identity;
    expect(pickedFiles('ckpt', [...picked].reverse()).identity).toBe(id);
    const touched = picked.map((f, i) => (i === 0 ? { path: f.path, file: new File([f.file], f.path, { lastModified: 1 }) } : f));
    expect(pickedFiles('ckpt', touched).identity).not.toBe(id);
    expect(pickedFiles('ckpt', picked.slice(1)).identity).not.toBe(id);
  });

  it('a folder without config.json is refused by the checkpoint reader, by name', async () => {
    await expect(Checkpoint.open(pickedFiles('downloads', picked.filter((f) => f.path !== 'config.json')))).rejects.toThrow('downloads: no config.json (not a checkpoint folder)');
  });

  it('converts to the same files, byte for byte, as the same folder read from disk', async () => {
    const fromDisk = await convert({ checkpoint: ckpt, out: join(root, 'disk'), dtypes: ['q4'] });
    const fromPicked = await convert({ checkpoint: pickedFiles('ckpt', picked), out: join(root, 'picked'), dtypes: ['q4'] });
    const files = (m: typeof fromDisk.manifest) => manifestFiles(m).map((f) => [f.path, f.bytes, f.sha256]);
    expect(files(fromPicked.manifest)).toEqual(files(fromDisk.manifest));
    expect(fromPicked.manifest.source).toBe('ckpt');
  }, 120_000);

  it('a conversion stopped by an unreadable file resumes, from the same files, after its last finished graph; from touched files it starts over', async () => {
    const index = JSON.parse(await readFile(join(ckpt, 'model.safetensors.index.json'), 'utf8'));
    const embedShard: string = index.weight_map['model.embed_tokens.weight'];
    /** The shard as Chromium gives a file changed on disk after the pick: its header reads, its weights do not. */
    class Unreadable extends File {
      override slice(begin?: number, end?: number): Blob {
        if ((end ?? 0) - (begin ?? 0) > 4096) throw new DOMException('The requested file could not be read', 'NotReadableError');
        return super.slice(begin, end);
      }
    }
    const broken = picked.map((f) => (f.path === embedShard ? { path: f.path, file: new Unreadable([f.file], f.path, { lastModified: (f.file as File).lastModified }) } : f));
    const opfs = new MemoryDirectory();
    const run = (files: PickedFile[]) => convert({ checkpoint: pickedFiles('ckpt', files), out: 'fo1', dtypes: ['q4'], output: new OpfsModelFolder(opfs, 'fo1') });
    await expect(run(broken)).rejects.toMatchObject({ name: 'ByteSourceError', message: expect.stringContaining(`ckpt/${embedShard}: cannot be read`) });
    const resumed = await run(picked);
    expect(resumed.resumed).toEqual(['onnx/vision_semantic_q4.onnx', 'onnx/vision_perception_q4.onnx', 'onnx/region_pyramid_q4.onnx', 'onnx/region_encoder_q4.onnx']);
    const fromDisk = await convert({ checkpoint: ckpt, out: join(root, 'disk-resume'), dtypes: ['q4'] });
    const files = (m: typeof fromDisk.manifest) => manifestFiles(m).map((f) => [f.path, f.bytes, f.sha256]);
    expect(files(resumed.manifest)).toEqual(files(fromDisk.manifest));
    // Stopped again after the same four graphs; the shard then modified (another download of that name) does not resume them.
    await expect(run(broken)).rejects.toThrow('cannot be read');
    const touched = picked.map((f) => (f.path === embedShard ? { path: f.path, file: new File([f.file], f.path, { lastModified: 1 }) } : f));
    expect((await run(touched)).resumed).toEqual([]);
  }, 120_000);
});
