import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixture } from '../../fixtures/fixture.ts';
import { Checkpoint } from './checkpoint.ts';
import { downloadFromHub, HubError, parseRepo, type HubProgress } from './hub.ts';

let root: string;
let ckpt: string;
let server: Server;
let baseUrl: string;
/** Requests seen: file, Range header. */
const requests: { file: string; range: string | undefined }[] = [];
/** file → bytes after which the next response for it is cut (one-shot). */
const cutAfter = new Map<string, number>();

const REPO = 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-'));
  ckpt = join(root, 'served');
  await writeFixture({ preset: 'tiny', out: ckpt, maxShardBytes: 6e6, tokenizer: 'slow' });
  // The Hub's layout: /<owner>/<name>/resolve/<revision>/<file>, with Range support.
  server = createServer(async (req, res) => {
    const m = decodeURIComponent(req.url ?? '').match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    const file = m?.[3] ?? '';
    requests.push({ file, range: req.headers.range });
    if (!m || m[1] !== REPO || m[2] !== 'v1' || !existsSync(join(ckpt, file))) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    const data = await readFile(join(ckpt, file));
    const start = Number(req.headers.range?.match(/^bytes=(\d+)-$/)?.[1] ?? 0);
    const body = data.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': body.length,
      ...(start > 0 ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    const cut = cutAfter.get(file);
    if (cut !== undefined) {
      cutAfter.delete(file);
      res.write(body.subarray(0, cut), () => res.destroy()); // connection drops mid-file
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

async function sameFiles(dest: string): Promise<void> {
  const served = (await readdir(ckpt)).sort();
  expect((await readdir(dest)).sort()).toEqual(served);
  for (const f of served) expect(Buffer.compare(await readFile(join(dest, f)), await readFile(join(ckpt, f))), f).toBe(0);
}

describe('downloadFromHub', () => {
  it('downloads config, index, every shard and the tokenizer files, with per-file progress', async () => {
    requests.length = 0;
    const dest = join(root, 'plain');
    const progress: HubProgress[] = [];
    await downloadFromHub({ repo: `${REPO}@v1`, dest, baseUrl, onProgress: (p) => progress.push(p) });
    await sameFiles(dest);
    const shard = progress.filter((p) => p.file.startsWith('model-00001-of-'));
    expect(shard.at(-1)!.received).toBe(shard.at(-1)!.total);
    expect(requests.some((r) => r.file === 'tokenizer.json')).toBe(true); // asked for, 404: the slow files are used
    const ck = await Checkpoint.open(dest);
    expect(ck.names().length).toBeGreaterThan(200);
    await ck.close();
  });

  it('resumes an interrupted shard with a Range request', async () => {
    requests.length = 0;
    const index = JSON.parse(await readFile(join(ckpt, 'model.safetensors.index.json'), 'utf8'));
    const shard = [...new Set(Object.values(index.weight_map) as string[])].sort()[0];
    cutAfter.set(shard, 1_000_000);
    const dest = join(root, 'resumed');
    await downloadFromHub({ repo: `${REPO}@v1`, dest, baseUrl });
    await sameFiles(dest);
    const ranges = requests.filter((r) => r.file === shard).map((r) => r.range);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    const from = Number(ranges[1]?.match(/^bytes=(\d+)-$/)?.[1]);
    expect(from).toBeGreaterThan(0); // resumed from what had arrived before the drop, not from 0
    expect(from).toBeLessThanOrEqual(1_000_000);
  });

  it('resumes across runs from the .incomplete file', async () => {
    const index = JSON.parse(await readFile(join(ckpt, 'model.safetensors.index.json'), 'utf8'));
    const shard = [...new Set(Object.values(index.weight_map) as string[])].sort()[1];
    cutAfter.set(shard, 500_000);
    const dest = join(root, 'two-runs');
    await expect(downloadFromHub({ repo: `${REPO}@v1`, dest, baseUrl, retries: 0 })).rejects.toThrow(new RegExp(`${shard}: .*run again to resume`));
    const have = (await stat(join(dest, `${shard}.incomplete`))).size;
    expect(have).toBeGreaterThan(0);
    requests.length = 0;
    await downloadFromHub({ repo: `${REPO}@v1`, dest, baseUrl, retries: 0 });
    await sameFiles(dest);
    expect(requests.find((r) => r.file === shard)?.range).toBe(`bytes=${have}-`);
    expect(requests.some((r) => r.file === 'config.json')).toBe(false); // finished files are not fetched again
  });

  it('names the file and status for a missing repo or revision, and rejects bad repo specs', async () => {
    await expect(downloadFromHub({ repo: `${REPO}@nope`, dest: join(root, 'x'), baseUrl })).rejects.toThrow(/config\.json: .*\/resolve\/nope\/config\.json answered HTTP 404/);
    expect(() => parseRepo('not a repo')).toThrow(HubError);
    expect(parseRepo('a/b')).toEqual({ repo: 'a/b', revision: 'main' });
  });
});
