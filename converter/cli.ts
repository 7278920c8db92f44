// npm run convert -- --checkpoint DIR | --from-hub OWNER/NAME[@REV] --out DIR [--dtype q4|q4f16|fp16|fp32 ...]
//                    [--hub-url URL] [--block-size 32]
// Converts a VLM-FO1 checkpoint into the model folder the app loads. --from-hub reads the repository in place
// (the revision resolved to its commit first, the weights streamed by range: nothing is downloaded to disk).
// Progress (tensors, bytes, ETA) goes to stderr; the summary (files, sizes, time) to stdout. Any error exits
// non-zero and leaves no model folder. A gated repository needs HF_TOKEN in the environment.

import { parseArgs } from 'node:util';
import { MODEL_DTYPES, type ModelDtype } from '../src/model-folder/manifest.ts';
import type { ConvertProgress } from '../src/model-folder/convert-progress.ts';
import { convert } from './convert.ts';
import { formatBytes, progressLine, throttled } from './progress.ts';
import type { CheckpointFiles } from './read/byte-source.ts';
import { DEFAULT_HUB_URL, openHubRepo } from './read/hub.ts';

const USAGE = 'usage: npm run convert -- --checkpoint DIR | --from-hub OWNER/NAME[@REV]  --out DIR  [--dtype q4|q4f16|fp16|fp32 (repeatable or comma-separated, e.g. --dtype q4,q4f16; default q4)] [--hub-url URL (default $HF_ENDPOINT or huggingface.co)] [--block-size N]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string' },
      'from-hub': { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string', multiple: true },
      'hub-url': { type: 'string', default: process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL },
      'block-size': { type: 'string', default: '32' },
    },
  });
  if (!values.out || !!values.checkpoint === !!values['from-hub']) throw new Error(`give --out and exactly one of --checkpoint / --from-hub\n${USAGE}`);
  const dtypes = [...new Set((values.dtype ?? ['q4']).flatMap((d) => d.split(',')))] as ModelDtype[];
  for (const d of dtypes) if (!(MODEL_DTYPES as readonly string[]).includes(d)) throw new Error(`--dtype ${d}: supported dtypes are ${MODEL_DTYPES.join(', ')}`);
  const blockSize = Number(values['block-size']);
  if (!Number.isInteger(blockSize) || blockSize < 16 || blockSize % 16) throw new Error(`--block-size ${values['block-size']}: expected a multiple of 16`);
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;

  let checkpoint: string | CheckpointFiles = values.checkpoint!;
  if (values['from-hub']) {
    const repo = await openHubRepo({ repo: values['from-hub'], hubUrl: values['hub-url'], accessToken: process.env.HF_TOKEN || undefined });
    const bytes = [...repo.sizes.values()].reduce((a, b) => a + b, 0);
    process.stderr.write(`${repo.repo}@${repo.revision} is commit ${repo.sha}: ${repo.sizes.size} files, ${formatBytes(bytes)}, read in place\n`);
    checkpoint = repo;
  }

  const draw = throttled((p: ConvertProgress) => process.stderr.write(`\r\x1b[K${progressLine(p, elapsed())}`));
  const result = await convert({ checkpoint, out: values.out, dtypes, blockSize, onProgress: draw });
  process.stderr.write('\r\x1b[K');
  const seconds = elapsed();
  const total = result.files.reduce((a, f) => a + f.bytes, 0);
  const lines = result.files.map((f) => `  ${f.path.padEnd(48)} ${formatBytes(f.bytes).padStart(10)}`);
  process.stdout.write(`wrote ${result.out} (${dtypes.join(', ')}) in ${seconds.toFixed(1)} s\n${lines.join('\n')}\n  ${'total'.padEnd(48)} ${formatBytes(total).padStart(10)}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`\nconvert: ${e.message}\n`);
  process.exit(1);
});
