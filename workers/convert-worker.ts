// Worker entry that converts a VLM-FO1 checkpoint from a Hugging Face Hub repository inside the page: the
// converter's own modules (converter/convert.ts, the same the CLI runs), fed by range reads over fetch
// (converter/read/hub.ts) and writing the model folder to the origin-private file system
// (converter/write/opfs-model-folder.ts). A dedicated worker, since OPFS's synchronous handles exist only there.
// `inspect` reads only the Hub's API, config.json and the safetensors headers, for the summary shown before
// converting (and to refuse a repository that is not a VLM-FO1 checkpoint before any weight moves).
// Messages: src/protocol/convert.ts. Nothing here imports a Node module (workers/convert-worker.test.ts checks).

import { convert } from '../converter/convert.ts';
import { countParams, estimateQ4Folder } from '../converter/estimate.ts';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { parseFo1Config } from '../converter/read/config.ts';
import { openHubRepo, type HubRepo } from '../converter/read/hub.ts';
import { OpfsModelFolder, type OpfsDirectory } from '../converter/write/opfs-model-folder.ts';
import type { ConvertEvent, ConvertRequest, HubSummary } from '../src/protocol/convert.ts';

const post = (e: ConvertEvent) => (self as unknown as { postMessage(m: ConvertEvent): void }).postMessage(e);

function summary(repo: HubRepo): HubSummary {
  return { repo: repo.repo, revision: repo.revision, sha: repo.sha, downloadBytes: [...repo.sizes.values()].reduce((a, b) => a + b, 0) };
}

async function inspect(req: Extract<ConvertRequest, { type: 'inspect' }>): Promise<void> {
  const repo = await openHubRepo(req);
  const ck = await Checkpoint.open(repo);
  try {
    parseFo1Config(ck.config, (n) => ck.shape(n)); // not a VLM-FO1 checkpoint: a ConfigError naming the first missing key or tensor, before any weight moves
    const copied = ['tokenizer.json', 'tokenizer_config.json'].reduce((n, f) => n + (repo.sizes.get(f) ?? 0), 0);
    const estimate = estimateQ4Folder(ck, copied);
    post({ type: 'inspected', ...summary(repo), params: countParams(ck), keepBytes: estimate.bytes, largestTensorBytes: estimate.largestTensorBytes });
  } finally {
    await ck.close();
  }
}

async function run(req: Extract<ConvertRequest, { type: 'convert' }>): Promise<void> {
  const repo = await openHubRepo(req);
  post({ type: 'resolved', ...summary(repo) });
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
  const fail = (err: Error) => post({ type: 'error', name: err.name, message: err.message });
  if (e.data?.type === 'inspect') inspect(e.data).catch(fail);
  else if (e.data?.type === 'convert') run(e.data).catch(fail);
  else post({ type: 'error', name: 'TypeError', message: `convert-worker: unknown request ${JSON.stringify((e.data as { type?: unknown } | null)?.type)}` });
};
