// `npm run convert -- --from-hub` reads the repository in place (weights by range, through the Hub's 302 to
// its CDN) and must write the same files, byte for byte, as converting the same checkpoint from a folder.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestFiles, validateManifest, type ModelManifest } from '../src/model-folder/manifest.ts';
import { repoRoot } from '../src/testing/shared.ts';
import { convert } from './convert.ts';
import { writeFixture } from '../fixtures/fixture.ts';
import { openHubRepo } from './read/hub.ts';
import { ConnectionLostError } from './read/hub-errors.ts';
import { SafetensorsFile } from './read/safetensors.ts';
import { startHubServer, type HubServer } from './testing/hub-server.ts';
import { MemoryDirectory } from './testing/memory-opfs.ts';
import { OpfsModelFolder } from './write/opfs-model-folder.ts';

const REPO = 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01';
const SHA = '5a'.repeat(20);
let root: string;
let ckpt: string;
let hub: HubServer;
/** The folder conversion of the same checkpoint, q4 + q4f16: what every other route must write. */
let local: Awaited<ReturnType<typeof convert>>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convert-hub-'));
  ckpt = join(root, 'ckpt');
  await writeFixture({ preset: 'tiny', out: ckpt, seed: 5, maxShardBytes: 6e6 }); // sharded bf16, as released
  hub = await startHubServer({ [REPO]: { dir: ckpt, sha: SHA } });
  local = await convert({ checkpoint: ckpt, out: join(root, 'local'), dtypes: ['q4', 'q4f16'] });
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

const rangeLength = (range?: string) => {
  const m = range?.match(/^bytes=(\d+)-(\d+)$/);
  return m ? Number(m[2]) - Number(m[1]) + 1 : 0;
};

const files = (m: ModelManifest) => manifestFiles(m).map((f) => [f.path, f.bytes, f.sha256]);

describe('convert --from-hub', () => {
  it('streams the tiny checkpoint from the Hub layout into files identical to the folder conversion (q4, q4f16), from the CLI and into OPFS', async () => {
    const out = join(root, 'hub');
    const { stderr } = await promisify(execFile)(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'converter/cli.ts'), '--from-hub', REPO, '--hub-url', hub.hubUrl, '--out', out, '--dtype', 'q4,q4f16'], { cwd: repoRoot });
    expect(stderr).toContain(`${REPO}@main is commit ${SHA}`);
    const remote = validateManifest(JSON.parse(await readFile(join(out, 'model.json'), 'utf8')));
    expect(remote.source).toBe(`${REPO}@${SHA}`);
    expect(files(remote)).toEqual(files(local.manifest));
    expect(files(remote).length).toBeGreaterThan(20);
    expect(remote.conversion?.commit).toBe(SHA);
    // The weights were read by range from the CDN, never fetched whole.
    const cdn = hub.requests.filter((r) => r.origin === 'cdn');
    expect(cdn.every((r) => r.range !== undefined)).toBe(true);

    // The worker's path: the same convert() into the OPFS folder writer (over an in-memory OPFS here), reading
    // q4 weights over 1 MiB in float32 in row chunks: the 151936×64 embedding (38.9 MB) in 38 of them.
    const opfs = new MemoryDirectory();
    hub.requests.length = 0;
    const checkpoint = await openHubRepo({ repo: REPO, hubUrl: hub.hubUrl });
    const inPage = await convert({ checkpoint, out: 'fo1', dtypes: ['q4', 'q4f16'], output: new OpfsModelFolder(opfs, 'fo1'), maxReadBytes: 1 << 20 });
    // 4096 rows of 64 bf16 a chunk (1 MiB in float32): 37 whole chunks each time the table is read, by
    // embed_tokens and the tied lm_head, in q4 and in q4f16.
    const index = JSON.parse(await readFile(join(ckpt, 'model.safetensors.index.json'), 'utf8'));
    const chunkRanges = hub.requests.filter((r) => r.origin === 'cdn' && r.path.endsWith(index.weight_map['model.embed_tokens.weight']) && rangeLength(r.range) === 4096 * 64 * 2);
    expect(chunkRanges).toHaveLength(4 * 37);
    expect(manifestFiles(inPage.manifest).map((f) => [f.path, f.bytes, f.sha256])).toEqual(files(local.manifest));
    const stored = opfs.list();
    // Exactly the model's files (no chunk opened ahead and left behind), each with the listed bytes.
    expect([...stored.keys()].sort()).toEqual([...manifestFiles(inPage.manifest).map((f) => `fo1/${f.path}`), 'fo1/model.json'].sort());
    for (const f of manifestFiles(inPage.manifest)) expect(createHash('sha256').update(stored.get(`fo1/${f.path}`)!).digest('hex'), f.path).toBe(f.sha256);
  });

  it('an in-page conversion that loses the network mid-way resumes after its last finished graph and ends identical', async () => {
    const index = JSON.parse(await readFile(join(ckpt, 'model.safetensors.index.json'), 'utf8'));
    const embedShard = index.weight_map['model.embed_tokens.weight'];
    const opfs = new MemoryDirectory();
    const checkpoint = await openHubRepo({ repo: REPO, hubUrl: hub.hubUrl, retries: 1, backoffMs: 1 });
    const run = () => convert({ checkpoint, out: 'fo1', dtypes: ['q4', 'q4f16'], output: new OpfsModelFolder(opfs, 'fo1') });
    // Every read of the embedding fails (its header reads pass): the four vision/region graphs finish, embed_tokens cannot.
    hub.faults.cut = { file: embedShard, afterBytes: 0, times: 1000, minBytes: 4096 };
    await expect(run()).rejects.toThrow(ConnectionLostError);
    expect(opfs.list().has('fo1/model.json')).toBe(false);
    expect(opfs.list().has('fo1/convert-progress.json')).toBe(true);
    hub.faults.cut = undefined;
    hub.requests.length = 0;
    const second = await run();
    expect(second.resumed).toEqual(['onnx/vision_semantic_q4.onnx', 'onnx/vision_perception_q4.onnx', 'onnx/region_pyramid_q4.onnx', 'onnx/region_encoder_q4.onnx']);
    expect(files(second.manifest)).toEqual(files(local.manifest));
    const stored = opfs.list();
    expect([...stored.keys()].sort()).toEqual([...manifestFiles(second.manifest).map((f) => `fo1/${f.path}`), 'fo1/model.json'].sort()); // the journal is gone
    for (const f of manifestFiles(second.manifest)) expect(createHash('sha256').update(stored.get(`fo1/${f.path}`)!).digest('hex'), f.path).toBe(f.sha256);
    expect(second.manifest.conversion!.tensors.unused).toEqual([]); // the kept graphs' tensors count as used
    // The kept graphs' tensors were not fetched again: a ViT weight was read once (for q4f16), not twice.
    const vitShard = await SafetensorsFile.open(join(ckpt, index.weight_map['model.vision_tower.image_tower.patch_embed.proj.weight']));
    const e = vitShard.entries.get('model.vision_tower.image_tower.patch_embed.proj.weight')!;
    await vitShard.close();
    expect(hub.requests.filter((r) => r.origin === 'cdn' && r.range === `bytes=${e.begin}-${e.end - 1}`)).toHaveLength(1);
  });
});
