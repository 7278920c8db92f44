// The tiny checkpoint served by a local Hub (converter/testing/hub-server.ts), for the specs that convert in the
// page: written sharded (so that a fault can hit one shard), in a temporary folder removed by `close`.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixture } from '../fixtures/fixture.ts';
import { startHubServer, type HubFixtureRepo, type HubServer } from '../converter/testing/hub-server.ts';

export interface TinyHub {
  /** The temporary folder; the checkpoint is `ckpt` in it. */
  root: string;
  ckpt: string;
  hub: HubServer;
  /** The shard that holds the embedding (the text graphs' first read, after every vision graph). */
  embedShard: string;
  close(): Promise<void>;
}

/** The tiny fixture (`seed`) as `repo` at commit `sha`, plus the repositories `more` makes in the folder. */
export async function startTinyHub(opts: { repo: string; sha: string; seed: number; more?: (root: string) => Promise<Record<string, HubFixtureRepo>> }): Promise<TinyHub> {
  const root = await mkdtemp(join(tmpdir(), 'e2e-hub-'));
  const ckpt = join(root, 'ckpt');
  await writeFixture({ preset: 'tiny', out: ckpt, seed: opts.seed, maxShardBytes: 6e6 });
  const hub = await startHubServer({ [opts.repo]: { dir: ckpt, sha: opts.sha }, ...(await opts.more?.(root)) });
  const embedShard = JSON.parse(await readFile(join(ckpt, 'model.safetensors.index.json'), 'utf8')).weight_map['model.embed_tokens.weight'];
  return {
    root,
    ckpt,
    hub,
    embedShard,
    close: async () => {
      await hub.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
