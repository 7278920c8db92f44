// The machine a result came from (issue 5: CPU model, cores, memory, Node/Chromium/ORT versions, date) and its
// memory-bandwidth ceiling, measured in the same run: decode streams every weight once per token, so
// tokens/s ≤ bandwidth / bytes-per-token.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { summarize, timeRuns, type Summary } from './stats.ts';

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  chromium: string | null;
  onnxruntimeWeb: string;
  onnxruntimeNode: string;
  transformersJs: string;
  loadAverage: number[];
}

function packageVersion(name: string): string {
  const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

export function chromiumVersion(): string | null {
  try {
    return execFileSync('chromium', ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The CPU's marketing name; /proc/cpuinfo's "model name" (os.cpus() reads the same on Linux). */
function cpuModel(): string {
  const flags = (() => {
    try {
      const info = readFileSync('/proc/cpuinfo', 'utf8');
      const f = /^flags\s*:\s*(.*)$/m.exec(info)?.[1].split(' ') ?? [];
      return ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni'].filter((x) => f.includes(x));
    } catch {
      return [];
    }
  })();
  return `${cpus()[0]?.model ?? 'unknown'}${flags.length ? ` (${flags.join(', ')})` : ''}`;
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    cpu: cpuModel(),
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    chromium: chromiumVersion(),
    onnxruntimeWeb: packageVersion('onnxruntime-web'),
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    transformersJs: packageVersion('@huggingface/transformers'),
    loadAverage: (readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3)).map(Number),
  };
}

/**
 * Streaming read of a buffer far larger than the caches: Buffer.indexOf for a byte that is not there is glibc's
 * SIMD memchr, one pass over every byte at the speed of one core's loads, i.e. what a mat-vec's weight stream
 * can get from one thread. Reported in bytes/s.
 */
export async function streamingReadBandwidth(bytes = 1 << 30, runs = 7): Promise<Summary> {
  const buf = Buffer.alloc(bytes, 1); // allocated and touched: every page is resident
  const read = async () => {
    if (buf.indexOf(0) !== -1) throw new Error('bandwidth buffer was modified');
  };
  const ms = summarize(await timeRuns(read, runs, 2));
  const bps = (v: number) => Math.round((bytes / v) * 1000);
  return { median: bps(ms.median), min: bps(ms.max), max: bps(ms.min), runs: ms.runs };
}
