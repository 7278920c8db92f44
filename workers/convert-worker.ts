// Worker entry that converts a VLM-FO1 checkpoint inside the page: the converter's own modules
// (converter/convert.ts, the same the CLI runs), fed by range reads over fetch from a Hugging Face Hub repository
// (converter/read/hub.ts) or by Blob slices of a folder picked on this computer (converter/read/file-byte-source.ts),
// and writing the model folder to the origin-private file system (converter/write/opfs-model-folder.ts). A
// dedicated worker, since OPFS's synchronous handles exist only there.
// `inspect` / `inspect-picked` read only config.json and the safetensors headers (and the Hub's API), for the
// summary shown before converting (and to refuse a checkpoint that is not VLM-FO1 before any weight moves).
// Messages: src/protocol/convert.ts. Nothing here imports a Node module (workers/convert-worker.test.ts checks).

import { convert } from '../converter/convert.ts';
import { countParams, estimateQ4Folder } from '../converter/estimate.ts';
import type { CheckpointFiles } from '../converter/read/byte-source.ts';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { parseFo1Config } from '../converter/read/config.ts';
import { pickedFiles } from '../converter/read/file-byte-source.ts';
import { openHubRepo, type HubRepo } from '../converter/read/hub.ts';
import { OpfsModelFolder, type OpfsDirectory } from '../converter/write/opfs-model-folder.ts';
import type { CheckpointEstimate, ConvertEvent, ConvertInto, ConvertRequest, HubSummary, PickedCheckpoint } from '../src/protocol/convert.ts';

const post = (e: ConvertEvent) => (self as unknown as { postMessage(m: ConvertEvent): void }).postMessage(e);

function summary(repo: HubRepo): HubSummary {
  return { repo: repo.repo, revision: repo.revision, sha: repo.sha, downloadBytes: [...repo.sizes.values()].reduce((a, b) => a + b, 0) };
}

const pickedCheckpoint = (req: PickedCheckpoint) => pickedFiles(req.folderName, req.files);

/** What the headers say; `sizeOf`: a file's size (the tokenizer files are copied into the model folder). */
async function estimate(files: CheckpointFiles, sizeOf: (file: string) => number | undefined): Promise<CheckpointEstimate> {
  const ck = await Checkpoint.open(files);
  try {
    parseFo1Config(ck.config, (n) => ck.shape(n)); // not a VLM-FO1 checkpoint: a ConfigError naming the first missing key or tensor, before any weight moves
    const copied = ['tokenizer.json', 'tokenizer_config.json'].reduce((n, f) => n + (sizeOf(f) ?? 0), 0);
    const estimate = estimateQ4Folder(ck, copied);
    return { params: countParams(ck), keepBytes: estimate.bytes, largestTensorBytes: estimate.largestTensorBytes, tensorBytes: ck.totalBytes() };
  } finally {
    await ck.close();
  }
}

async function run(req: ConvertInto, checkpoint: CheckpointFiles): Promise<void> {
  const root = (await navigator.storage.getDirectory()) as unknown as OpfsDirectory;
  const result = await convert({
    checkpoint,
    out: req.folder,
    dtypes: req.dtypes,
    output: new OpfsModelFolder(root, req.folder),
    onProgress: (progress) => post({ type: 'progress', progress }),
  });
  const report = result.manifest.conversion!; // convert() always records it
  post({ type: 'done', folder: req.folder, files: result.files.length, bytes: result.files.reduce((a, f) => a + f.bytes, 0), resumed: result.resumed, report });
}

async function handle(req: ConvertRequest): Promise<void> {
  switch (req?.type) {
    case 'inspect': {
      const repo = await openHubRepo(req);
      return post({ type: 'inspected', ...summary(repo), ...(await estimate(repo, (f) => repo.sizes.get(f))) });
    }
    case 'inspect-picked': {
      const sizes = new Map(req.files.map((f) => [f.path, f.file.size]));
      return post({ type: 'inspected-picked', folderName: req.folderName, ...(await estimate(pickedCheckpoint(req), (f) => sizes.get(f))) });
    }
    case 'convert': {
      const repo = await openHubRepo(req);
      post({ type: 'resolved', ...summary(repo) });
      return run(req, repo);
    }
    case 'convert-picked':
      return run(req, pickedCheckpoint(req));
    default:
      throw new TypeError(`convert-worker: unknown request ${JSON.stringify((req as { type?: unknown } | null)?.type)}`);
  }
}

self.onmessage = (e: MessageEvent<ConvertRequest>) => {
  handle(e.data).catch((err: Error) => post({ type: 'error', name: err.name, message: err.message }));
};
