// Issue 5 figure 8: the browser path measured, not just tested. The production build (built into the bench
// cache, so the e2e suite's dist/ is never touched) served by `vite preview`, driven in Debian's Chromium with
// `--enable-unsafe-webgpu` through the e2e page object: load the demo model (the tiny preset, q4) on a forced
// backend, drop a real COCO photo (the detector proposes boxes), ask about box 0, ask again (the follow-up),
// and read the exact timings from the app's own JSON export (the worker's answer events carry them).
// Each backend runs in a fresh browser context (cold Cache Storage), rounds until a time budget is spent.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import type { ResultsJson } from '../src/app/export/results.ts';
import { hasShared, repoRoot, sharedAsset } from '../src/testing/shared.ts';
import { AppPage } from '../e2e/pages/AppPage.ts';
import { summarizeRounds, type AnswerRound, type RoundsSummary } from './answer-bench.ts';
import { CACHE } from './models.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const FLAGS = ['--enable-unsafe-webgpu'];
const PHOTO = '000000520707.jpg';

export interface BrowserBackendRun {
  backend: 'wasm' | 'webgpu';
  /** The decoder session's backend reason as the app's status panel shows it. */
  adapter?: string;
  loadMs?: number;
  boxes?: number;
  rounds?: number;
  turns?: AnswerRound[];
  summary?: RoundsSummary;
  error?: string;
}

export interface BrowserRun {
  date: string;
  chromium: string;
  flags: string[];
  model: string;
  note: string;
  /** 1-minute load average at the start and end (the machine is shared). */
  loadAverage?: number[];
  runs: BrowserBackendRun[];
}

const log = (m: string) => process.stderr.write(`  ${m}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

/** The demo model (npm run build's first step) and a production build into the bench cache. */
async function build(outDir: string): Promise<void> {
  log('building the demo model and the app…');
  await run('npx', ['tsx', 'fixtures/demo-model.ts']);
  await run('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn']);
}

async function preview(outDir: string): Promise<{ url: string; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn('npx', ['vite', 'preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: repoRoot, stdio: 'ignore', detached: true });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(url)).ok) return { url, server };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  process.kill(-server.pid!);
  throw new Error(`vite preview did not answer on ${url} within 30 s`);
}

/** One backend: load, then rounds of (drop photo → first question → follow-up) until `budgetMs`. */
async function measureBackend(browser: Browser, baseURL: string, backend: 'wasm' | 'webgpu', maxRounds: number, budgetMs: number): Promise<BrowserBackendRun> {
  const context = await browser.newContext({ baseURL, serviceWorkers: 'block', viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const out: BrowserBackendRun = { backend };
  try {
    const app = new AppPage(page);
    await app.goto();
    const t0 = performance.now();
    await app.loadDemo(backend);
    out.loadMs = Math.round(performance.now() - t0);
    await app.openStatus();
    out.adapter = ((await page.getByTestId('sessions').getByRole('listitem').filter({ hasText: 'decoder' }).first().textContent()) ?? '').trim().slice(0, 160);
    await app.statusSummary.click();
    log(`${backend}: demo model loaded in ${out.loadMs} ms (${out.adapter})`);
    const photo = { name: PHOTO, mimeType: 'image/jpeg', buffer: readFileSync(sharedAsset('coco-val2017', 'images', PHOTO)) };
    const turns: NonNullable<BrowserBackendRun['turns']> = [];
    const start = performance.now();
    while (turns.length < maxRounds && (turns.length === 0 || performance.now() - start < budgetMs)) {
      await app.dropFile(photo);
      await app.proposalsStatus.filter({ hasText: /Show \d+ of \d+ proposals/ }).waitFor({ timeout: 120_000 });
      await app.box(0).click();
      out.boxes = await app.boxes().count(); // after the click: the boxes are drawn by then
      await app.preset('Describe region (brief)');
      await app.ask(16);
      await app.ask(16);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
      const results = JSON.parse(readFileSync((await download.path())!, 'utf8')) as ResultsJson;
      const [first, followUp] = results.conversation.slice(-2).map((t) => t.timings);
      if (!first || !followUp) throw new Error('the exported conversation has no timings for its last two turns');
      turns.push({ first, followUp });
      log(`${backend} round ${turns.length}: first ttft ${Math.round(first.ttftMs)} ms, follow-up ttft ${Math.round(followUp.ttftMs)} ms`);
    }
    out.rounds = turns.length;
    out.turns = turns;
    out.summary = summarizeRounds(turns);
  } catch (e) {
    out.error = (e as Error).message.split('\n')[0];
    log(`${backend}: ${out.error}`);
  } finally {
    await context.close();
  }
  return out;
}

export async function measureBrowser(options: { rounds: number; budgetS: number }): Promise<BrowserRun> {
  if (!hasShared) throw new Error('the browser benchmark drops a COCO photo from ../shared, which is absent');
  const loadStart = loadavg()[0];
  const outDir = join(CACHE, 'bench-dist');
  await build(outDir);
  const { url, server } = await preview(outDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const runs: BrowserBackendRun[] = [];
    for (const backend of ['wasm', 'webgpu'] as const) runs.push(await measureBackend(browser, url, backend, options.rounds, options.budgetS * 1000));
    return {
      date: new Date().toISOString(),
      chromium: `Chromium ${browser.version()}`,
      flags: FLAGS,
      model: 'public/models/demo: the tiny preset, q4, random weights',
      note: `A round: drop COCO ${PHOTO} (640×480), YOLOX-nano proposes boxes (those above the app's default score are sent), ask "Describe region (brief)" about box 0 with a 16-token limit, then ask it again (the follow-up). WebGPU here is SwiftShader, a CPU emulation.`,
      loadAverage: [loadStart, loadavg()[0]].map((x) => Math.round(x * 10) / 10),
      runs,
    };
  } finally {
    await browser.close();
    process.kill(-server.pid!);
  }
}
