// Worker entry that converts a VLM-FO1 checkpoint from a Hugging Face Hub repository inside the page: the
// converter's own modules (converter/convert.ts, the same the CLI runs), fed by range reads over fetch
// (converter/read/hub.ts) and writing the model folder to the origin-private file system
// (converter/write/opfs-model-folder.ts). A dedicated worker, since OPFS's synchronous handles exist only there.
// Nothing here imports a Node module (converter/convert-worker.test.ts builds it with vite to check).

import { convert, type ConvertProgress } from '../converter/convert.ts';
import { openHubRepo } from '../converter/read/hub.ts';
import { OpfsModelFolder, type OpfsDirectory } from '../converter/write/opfs-model-folder.ts';
import type { ModelDtype } from '../src/model-folder/manifest.ts';

export interface ConvertRequest {
  type: 'convert';
  /** "owner/name" or "owner/name@revision". */
  repo: string;
  hubUrl: string;
  accessToken?: string;
  dtypes: ModelDtype[];
  /** The model folder's name at the top of the origin-private file system. */
  folder: string;
}

export type ConvertEvent =
  | { type: 'resolved'; repo: string; revision: string; sha: string; downloadBytes: number }
  | { type: 'progress'; progress: ConvertProgress }
  /** `resumed`: graphs an earlier, interrupted conversion into this folder had finished, kept as they were. */
  | { type: 'done'; folder: string; files: number; bytes: number; resumed: string[] }
  /** `name` is the error's class (RepoNotFoundError, RepoAccessError, ConnectionLostError, UnknownTensorError…). */
  | { type: 'error'; name: string; message: string };

const post = (e: ConvertEvent) => (self as unknown as { postMessage(m: ConvertEvent): void }).postMessage(e);

async function run(req: ConvertRequest): Promise<void> {
  const repo = await openHubRepo({ repo: req.repo, hubUrl: req.hubUrl, accessToken: req.accessToken });
  post({ type: 'resolved', repo: repo.repo, revision: repo.revision, sha: repo.sha, downloadBytes: [...repo.sizes.values()].reduce((a, b) => a + b, 0) });
  const root = (await navigator.storage.getDirectory()) as unknown as OpfsDirectory;
  const result = await convert({
    checkpoint: repo,
    out: req.folder,
    dtypes: req.dtypes,
    output: new OpfsModelFolder(root, req.folder),
    onProgress: (progress) => post({ type: 'progress', progress }),
  });
  post({ type: 'done', folder: req.folder, files: result.files.length, bytes: result.files.reduce((a, f) => a + f.bytes, 0), resumed: result.resumed });
}

self.onmessage = (e: MessageEvent<ConvertRequest>) => {
  if (e.data?.type !== 'convert') return post({ type: 'error', name: 'TypeError', message: `convert-worker: unknown request ${JSON.stringify(e.data?.type)}` });
  run(e.data).catch((err: Error) => post({ type: 'error', name: err.name, message: err.message }));
};
