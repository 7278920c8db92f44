import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixture } from '../../fixtures/fixture.ts';
import { manifestFiles } from '../../src/model-folder/manifest.ts';
import { convert } from '../convert.ts';
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
});
