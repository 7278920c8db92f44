import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensorsMetadata } from '@huggingface/hub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFixture } from '../../fixtures/fixture.ts';
import { startHubServer, type HubServer } from '../testing/hub-server.ts';
import { Checkpoint } from './checkpoint.ts';
import { ConnectionLostError, HubError, HubFileMismatchError, RepoAccessError, RepoNotFoundError } from './hub-errors.ts';
import { openHubRepo, parseRepo } from './hub.ts';
import { SafetensorsFile } from './safetensors.ts';

const REPO = 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01';
const SHA = 'c0ffee'.padEnd(40, '0');
let root: string;
let ckpt: string;
let hub: HubServer;
let shards: string[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-'));
  ckpt = join(root, 'served');
  // Sharded bf16, the slow tokenizer files only: what the release has.
  await writeFixture({ preset: 'tiny', out: ckpt, maxShardBytes: 6e6, tokenizer: 'slow' });
  const index = JSON.parse(await readFile(join(ckpt, 'model.safetensors.index.json'), 'utf8'));
  shards = [...new Set(Object.values(index.weight_map) as string[])].sort();
  hub = await startHubServer({ [REPO]: { dir: ckpt, sha: SHA } });
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  for (const k of Object.keys(hub.faults)) delete hub.faults[k as keyof typeof hub.faults];
  hub.requests.length = 0;
});

const opts = { repo: REPO, backoffMs: 1 };

describe('openHubRepo', () => {
  it('resolves the revision to its commit and lists every file with its size', async () => {
    const repo = await openHubRepo({ ...opts, hubUrl: hub.hubUrl });
    expect(repo.sha).toBe(SHA);
    expect(repo.revision).toBe('main');
    expect(repo.sizes.get(shards[0])).toBe((await readFile(join(ckpt, shards[0]))).length);
    expect(repo.has('tokenizer.json')).toBe(false);
    expect(repo.has('merges.txt')).toBe(true);
    expect(hub.requests.map((r) => r.path)).toEqual([`/api/models/${REPO}/revision/main`, `/api/models/${REPO}/tree/${SHA}`]);
  });

  it('streams a sharded checkpoint by range through the 302 to the CDN, sending no Referer, at the resolved sha', async () => {
    const repo = await openHubRepo({ ...opts, hubUrl: hub.hubUrl });
    const remote = await Checkpoint.open(repo);
    const local = await Checkpoint.open(ckpt);
    try {
      expect(remote.names().sort()).toEqual(local.names().sort());
      for (const name of ['model.embed_tokens.weight', 'model.norm.weight', local.names().at(-1)!]) {
        const [a, b] = [(await remote.get(name)).data, (await local.get(name)).data];
        expect(Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength)), name).toBe(0);
      }
    } finally {
      await remote.close();
      await local.close();
    }
    const cdn = hub.requests.filter((r) => r.origin === 'cdn');
    expect(cdn.length).toBeGreaterThan(shards.length);
    expect(cdn.every((r) => /^bytes=\d+-\d+$/.test(r.range ?? '') && r.referer === undefined)).toBe(true);
    expect(hub.requests.filter((r) => r.path.includes('/resolve/')).every((r) => r.path.includes(`/resolve/${SHA}/`))).toBe(true);
  });

  it('serves what @huggingface/hub expects: its parseSafetensorsMetadata reads the same headers as ours', async () => {
    const meta = await parseSafetensorsMetadata({ repo: REPO, hubUrl: hub.hubUrl, revision: SHA });
    expect(meta.sharded).toBe(true);
    if (!meta.sharded) return;
    expect(Object.keys(meta.headers).sort()).toEqual(shards);
    const ours = await SafetensorsFile.open(join(ckpt, shards[0]));
    try {
      const theirs = meta.headers[shards[0]];
      for (const e of ours.entries.values()) expect(theirs[e.name].shape, e.name).toEqual([...e.shape]);
    } finally {
      await ours.close();
    }
  });

  it('names a missing repository or revision, and a gated one without or with a wrong token', async () => {
    await expect(openHubRepo({ ...opts, repo: 'omlab/nope', hubUrl: hub.hubUrl })).rejects.toThrow(RepoNotFoundError);
    await expect(openHubRepo({ ...opts, repo: `${REPO}@v9`, hubUrl: hub.hubUrl })).rejects.toThrow(/@v9: not found on .* HTTP 404/);
    hub.faults.notFound = true;
    await expect(openHubRepo({ ...opts, hubUrl: hub.hubUrl })).rejects.toThrow(RepoNotFoundError);
    hub.faults.notFound = false;
    hub.faults.token = 'hf_right';
    await expect(openHubRepo({ ...opts, hubUrl: hub.hubUrl })).rejects.toThrow(RepoAccessError);
    await expect(openHubRepo({ ...opts, hubUrl: hub.hubUrl, accessToken: 'hf_wrong' })).rejects.toThrow(/HTTP 401 .*gated or private; .*access token/);
    const repo = await openHubRepo({ ...opts, hubUrl: hub.hubUrl, accessToken: 'hf_right' });
    expect(JSON.parse(await repo.text('config.json')).model_type).toBe('omchat_qwen2_5_vl');
    expect(() => parseRepo('not a repo')).toThrow(HubError);
    await expect(openHubRepo({ ...opts, hubUrl: 'http://127.0.0.1:9' })).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  it('resumes a cut connection from the byte it reached; gives up with ConnectionLostError when it keeps failing', async () => {
    const repo = await openHubRepo({ ...opts, hubUrl: hub.hubUrl, retries: 2 });
    const src = await repo.open(shards[0]);
    const whole = new Uint8Array(await readFile(join(ckpt, shards[0])));
    hub.faults.cut = { file: shards[0], afterBytes: 100_000, times: 2 };
    hub.requests.length = 0;
    const got = await src.read(10, 1_000_000);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(whole.subarray(10, 1_000_000)).digest('hex'));
    expect(hub.requests.filter((r) => r.origin === 'cdn').map((r) => r.range)).toEqual(['bytes=10-999999', 'bytes=100010-999999', 'bytes=200010-999999']);
    hub.faults.cut = { file: shards[0], afterBytes: 0, times: 3 }; // one more than the retries
    await expect(src.read(0, 1000)).rejects.toThrow(ConnectionLostError);
    await expect(src.read(0, 1000)).resolves.toHaveLength(1000); // the same source works once the network is back
  });

  it('sends later ranges of a file straight to the CDN address the redirect gave, and resolves again once it expires', async () => {
    const repo = await openHubRepo({ ...opts, hubUrl: hub.hubUrl });
    const src = await repo.open(shards[0]);
    const whole = new Uint8Array(await readFile(join(ckpt, shards[0])));
    hub.requests.length = 0;
    for (const at of [0, 1000, 2000]) expect(Buffer.compare(await src.read(at, at + 100), whole.subarray(at, at + 100))).toBe(0);
    expect(hub.requests.map((r) => r.origin)).toEqual(['hub', 'cdn', 'cdn', 'cdn']);
    hub.expireSignedUrls();
    hub.requests.length = 0;
    expect(Buffer.compare(await src.read(5000, 5100), whole.subarray(5000, 5100))).toBe(0);
    expect(hub.requests.map((r) => r.origin)).toEqual(['cdn', 'hub', 'cdn']); // 403, then through resolve again
  });

  it('gives up on a stalled response and resumes from the byte it reached', async () => {
    const repo = await openHubRepo({ ...opts, hubUrl: hub.hubUrl, stallMs: 200 });
    const src = await repo.open(shards[0]);
    const whole = new Uint8Array(await readFile(join(ckpt, shards[0])));
    hub.faults.stall = { file: shards[0], afterBytes: 50_000 };
    hub.requests.length = 0;
    expect(Buffer.compare(await src.read(0, 300_000), whole.subarray(0, 300_000))).toBe(0);
    expect(hub.requests.filter((r) => r.origin === 'cdn').map((r) => r.range)).toEqual(['bytes=0-299999', 'bytes=50000-299999']);
  });

  it('refuses a shard whose served size disagrees with the listing, naming the file', async () => {
    hub.faults.wrongSize = { file: shards[1], delta: 7 };
    const repo = await openHubRepo({ ...opts, hubUrl: hub.hubUrl });
    await expect(Checkpoint.open(repo)).rejects.toThrow(HubFileMismatchError);
    await expect(Checkpoint.open(repo)).rejects.toThrow(new RegExp(`${shards[1]}: the server has \\d+ bytes, the repository listing says \\d+`));
  });
});
