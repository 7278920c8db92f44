// npm run bench:convert [-- --seed N --block-size 32 --keep]
// Converts the `full` random checkpoint (VLM-FO1-3B's real dims, ≈4.15 B bf16 params, 8.3 GB) to q4 and
// reports wall time, MB/s of checkpoint read, peak RSS and the q4 folder's size (issue 2 goals: ≤ 10 min,
// ≤ 3 GB RSS, ≤ 2.7 GB folder). The fixture is generated once and cached in ~/.cache/fo1-web (several
// minutes); figures are merged into bench/results.json under "convert" ("convert_block<N>" for other block sizes)
// and bench/RESULTS.md is regenerated (bench/results-file.ts).

import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convert } from '../converter/convert.ts';
import { writeFixture } from '../fixtures/fixture.ts';
import { formatBytes, progressLine, throttled } from '../converter/progress.ts';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { writeResults } from './results-file.ts';

const CACHE = join(homedir(), '.cache', 'fo1-web');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '0' }, 'block-size': { type: 'string', default: '32' }, keep: { type: 'boolean', default: false } } });
  const seed = Number(values.seed);
  const blockSize = Number(values['block-size']);
  const ckpt = join(CACHE, `fixture-full-seed${seed}`);
  if (!existsSync(join(ckpt, 'config.json'))) {
    process.stderr.write(`generating the full fixture in ${ckpt} (once; several minutes)…\n`);
    const t = performance.now();
    await writeFixture({ preset: 'full', out: ckpt, seed });
    process.stderr.write(`fixture written in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const ck = await Checkpoint.open(ckpt);
  const checkpointBytes = ck.totalBytes();
  await ck.close();

  const out = join(CACHE, 'bench-convert-q4');
  const loadAtStart = loadavg()[0];
  const t0 = performance.now();
  const draw = throttled((p: Parameters<typeof progressLine>[0]) => process.stderr.write(`\r\x1b[K${progressLine(p, (performance.now() - t0) / 1000)}`), 500);
  const result = await convert({ checkpoint: ckpt, out, dtypes: ['q4'], blockSize, source: `fixture-full-seed${seed}`, onProgress: draw });
  const seconds = (performance.now() - t0) / 1000;
  process.stderr.write('\r\x1b[K');
  const peakRssBytes = process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB
  const folderBytes = result.files.reduce((a, f) => a + f.bytes, 0);
  const figures = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    node: process.version,
    blockSize,
    checkpointBytes,
    wallSeconds: Number(seconds.toFixed(1)),
    readMBps: Number((checkpointBytes / 1e6 / seconds).toFixed(1)),
    peakRssBytes,
    q4FolderBytes: folderBytes,
    files: Object.fromEntries(result.files.map((f) => [f.path, f.bytes])),
    // The 1-minute load average at the start and the end: the machine is shared, and wall time shows it.
    loadAverage: [loadAtStart, loadavg()[0]].map((l) => Number(l.toFixed(2))),
    goals: { wallSeconds: 600, peakRssBytes: 3e9, q4FolderBytes: 2.7e9 },
  };
  process.stdout.write(
    [
      `convert full → q4 (block ${blockSize}): ${figures.wallSeconds} s (goal ≤ 600 s)`,
      `  read rate:   ${figures.readMBps} MB/s of ${formatBytes(checkpointBytes)} bf16 checkpoint`,
      `  peak RSS:    ${formatBytes(peakRssBytes)} (goal ≤ 3 GB)`,
      `  q4 folder:   ${formatBytes(folderBytes)} (goal ≤ 2.7 GB)`,
      ...result.files.map((f) => `    ${f.path.padEnd(46)} ${formatBytes(f.bytes).padStart(10)}`),
    ].join('\n') + '\n',
  );
  await writeResults({ [blockSize === 32 ? 'convert' : `convert_block${blockSize}`]: figures });
  if (!values.keep) await rm(out, { recursive: true, force: true });
}

main().catch((e: Error) => {
  process.stderr.write(`\nbench:convert: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
