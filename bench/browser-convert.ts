// Issue 11's benchmark: the `full` random checkpoint (VLM-FO1-3B's shapes, 8.3 GB of bf16) converted to q4
// from a local Hub-layout server (converter/testing/hub-server.ts: resolve → 302 to a second origin, ranges),
// side by side in one run:
//   cli      `npm run convert -- --from-hub` in a child process (converter/cli.ts, which streams by range);
//   browser  workers/convert-worker.ts in headless Chromium, writing to the origin-private file system;
//   resume   the browser conversion again into a fresh folder, its worker terminated once half the bytes are
//            read, then started again: it must keep the graphs it had finished and end identical.
// identical_to_cli: every file's size and sha256 in the two model.json files are equal. Peak memory is
// sampled from /proc every 250 ms: the CLI process's RSS, and the browser's renderer processes' RSS (the
// worker lives in the page's renderer; OPFS writes land in the browser process and the page cache).

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import type { ConvertEvent, ConvertRequest } from '../src/protocol/convert.ts';
import { bundleConvertWorker, convertInPage, type InPageConversion } from '../converter/testing/convert-worker-in-page.ts';
import { startHubServer } from '../converter/testing/hub-server.ts';
import { manifestFiles, type ModelManifest } from '../src/model-folder/manifest.ts';
import { repoRoot } from '../src/testing/shared.ts';
import { CHROMIUM } from './browser-bench.ts';
import { chromiumVersion } from './machine.ts';
import type { PresetName } from '../fixtures/presets.ts';
import { presetCheckpoint } from './models.ts';

const REPO = 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01';
const SHA = 'b0'.repeat(20);

export interface ConvertSide {
  wallSeconds: number;
  /** Checkpoint bytes ÷ wall time. */
  MBps: number;
  peakBytes: number;
}

export interface BrowserConvertRun {
  date: string;
  machine: string;
  chromium: string;
  preset: PresetName;
  checkpointBytes: number;
  dtype: 'q4';
  cli: ConvertSide;
  browser: ConvertSide;
  identical_to_cli: boolean;
  /** The files whose size or sha256 differ (empty when identical). */
  differing: string[];
  resume: { interruptedAtBytes: number; keptGraphs: string[]; wallSeconds: number };
  resumed_ok: boolean;
  goals: { browser_convert_vs_cli: number; peak_bytes: number };
  /** 1-minute load average at the start and the end: the machine is shared. */
  loadAverage: number[];
}

const log = (m: string) => process.stderr.write(`  ${m}\n`);

/** Every process's parent and resident bytes, from /proc. */
function processTable(): Map<number, { ppid: number; rss: number; cmd: string }> {
  const table = new Map<number, { ppid: number; rss: number; cmd: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      const ppid = Number(status.match(/^PPid:\s+(\d+)/m)?.[1]);
      const rss = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? 0) * 1024;
      table.set(Number(d), { ppid, rss, cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8') });
    } catch {
      // the process ended while being read
    }
  }
  return table;
}

/** Samples, until stopped, the peak of the summed RSS of `root`'s descendants (itself included) that `keep` accepts. */
function peakRss(root: number, keep: (cmd: string) => boolean): { stop(): number } {
  let peak = 0;
  const sample = () => {
    const table = processTable();
    const inTree = (pid: number): boolean => pid === root || (pid > 1 && table.has(pid) && inTree(table.get(pid)!.ppid));
    let sum = 0;
    for (const [pid, p] of table) if (inTree(pid) && keep(p.cmd)) sum += p.rss;
    peak = Math.max(peak, sum);
  };
  sample();
  const timer = setInterval(sample, 250);
  return { stop: () => (clearInterval(timer), sample(), peak) };
}

async function runCli(hubUrl: string, out: string): Promise<{ seconds: number; peakBytes: number }> {
  const t0 = performance.now();
  const p = spawn(process.execPath, ['--import', 'tsx', 'converter/cli.ts', '--from-hub', REPO, '--hub-url', hubUrl, '--out', out], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  const rss = peakRss(p.pid!, () => true);
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
  const peakBytes = rss.stop();
  if (code !== 0) throw new Error(`the CLI conversion exited with ${code}: ${err.trim().split('\n').pop()}`);
  return { seconds: (performance.now() - t0) / 1000, peakBytes };
}

/** An empty page on its own origin, cross-origin isolated like the app (the worker's fetches then need CORP, as there). */
async function startPageServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }).end('<!doctype html><title>browser-convert</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

/** The one worker's run of `got`, and how long it took in seconds. */
function onlyRun(got: InPageConversion): { events: ConvertEvent[]; seconds: number; manifest: ModelManifest | null } {
  const { events, span } = got.runs[0];
  return { events, seconds: (span.end - span.start) / 1000, manifest: got.manifest };
}

const fileRows = (m: ModelManifest) => new Map(manifestFiles(m).map((f) => [f.path, `${f.bytes} ${f.sha256}`]));

/** The files of `a` and `b` whose size or sha256 differ, or that only one has. */
function differing(a: ModelManifest, b: ModelManifest): string[] {
  const ra = fileRows(a);
  const rb = fileRows(b);
  return [...new Set([...ra.keys(), ...rb.keys()])].filter((p) => ra.get(p) !== rb.get(p)).sort();
}

function finished(run: ReturnType<typeof onlyRun>, what: string): ModelManifest {
  const last = run.events.at(-1);
  if (last?.type !== 'done' || !run.manifest) throw new Error(`${what}: the in-page conversion did not finish: ${JSON.stringify(last)}`);
  return run.manifest;
}

/** `preset`: `full` for the figures; `tiny` checks the benchmark itself in seconds. */
export async function measureBrowserConvert(preset: PresetName = 'full'): Promise<BrowserConvertRun> {
  const loadStart = loadavg()[0];
  const ckpt = await presetCheckpoint(preset);
  const checkpointBytes = readdirSync(ckpt).filter((f) => f.endsWith('.safetensors')).reduce((a, f) => a + statSync(join(ckpt, f)).size, 0);
  const hub = await startHubServer({ [REPO]: { dir: ckpt, sha: SHA } });
  const site = await startPageServer();
  const work = await mkdtemp(join(tmpdir(), 'bench-browser-convert-'));
  // A profile on disk, as a person's is: an off-the-record context keeps OPFS in memory, which filled up at
  // 1.4 GB of the 2.5 GB folder (the write failed with FILE_ERROR_NO_SPACE, converter/write/opfs-sink.ts).
  const context = await chromium.launchPersistentContext(join(work, 'profile'), { executablePath: CHROMIUM });
  try {
    log(`CLI: --from-hub ${REPO} from ${hub.hubUrl}…`);
    const cliRun = await runCli(hub.hubUrl, join(work, 'cli'));
    const cliManifest = JSON.parse(await readFile(join(work, 'cli', 'model.json'), 'utf8')) as ModelManifest;
    log(`CLI: ${cliRun.seconds.toFixed(1)} s, peak RSS ${(cliRun.peakBytes / 1e9).toFixed(2)} GB`);

    const code = await bundleConvertWorker();
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(site.url);
    const req = (folder: string): Extract<ConvertRequest, { type: 'convert' }> => ({ type: 'convert', repo: REPO, hubUrl: hub.hubUrl, dtypes: ['q4'], folder });
    const renderers = (cmd: string) => cmd.includes('--type=renderer');
    const rss = peakRss(process.pid, renderers);
    log('browser: converting in the page…');
    const whole = onlyRun(await convertInPage(page, code, req('whole')));
    const browserPeak = rss.stop();
    const browserManifest = finished(whole, 'browser');
    log(`browser: ${whole.seconds.toFixed(1)} s, peak renderer RSS ${(browserPeak / 1e9).toFixed(2)} GB`);
    const diff = differing(cliManifest, browserManifest);

    log('resume: interrupted at half, then started again…');
    const cut = onlyRun(await convertInPage(page, code, req('resume'), { stopAtFraction: 0.5 }));
    const cutAt = cut.events.findLast((e) => e.type === 'progress');
    await page.reload();
    const rest = onlyRun(await convertInPage(page, code, req('resume')));
    const resumedManifest = finished(rest, 'resume');
    const done = rest.events.at(-1) as Extract<ConvertEvent, { type: 'done' }>;
    const resumedOk = cut.manifest === null && done.resumed.length > 0 && differing(cliManifest, resumedManifest).length === 0;
    log(`resume: kept ${done.resumed.length} graph(s), ${rest.seconds.toFixed(1)} s more; identical: ${resumedOk}`);

    const side = (seconds: number, peakBytes: number): ConvertSide => ({ wallSeconds: Number(seconds.toFixed(1)), MBps: Number((checkpointBytes / 1e6 / seconds).toFixed(1)), peakBytes });
    const cli = side(cliRun.seconds, cliRun.peakBytes);
    const inPage = side(whole.seconds, browserPeak);
    return {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      chromium: chromiumVersion() ?? 'unknown',
      preset,
      checkpointBytes,
      dtype: 'q4',
      cli,
      browser: inPage,
      identical_to_cli: diff.length === 0,
      differing: diff,
      resume: { interruptedAtBytes: cutAt?.type === 'progress' ? cutAt.progress.bytesDone : 0, keptGraphs: done.resumed, wallSeconds: Number(rest.seconds.toFixed(1)) },
      resumed_ok: resumedOk,
      goals: { browser_convert_vs_cli: 0.8, peak_bytes: 1.5e9 },
      loadAverage: [loadStart, loadavg()[0]].map((l) => Number(l.toFixed(2))),
    };
  } finally {
    await context.close();
    await site.close();
    await hub.close();
    await rm(work, { recursive: true, force: true });
  }
}
