// workers/convert-worker.ts as a browser runs it, for the e2e tests and the browser-convert benchmark: bundled
// (vite, no minification) and run in a Chromium page as a blob worker. Node only (it runs vite and drives
// Playwright).

import type { Page } from '@playwright/test';
import { build, type Rollup } from 'vite';
import type { ConvertEvent, ConvertRequest } from '../../src/protocol/convert.ts';
import type { ModelManifest } from '../../src/model-folder/manifest.ts';
import { repoRoot } from '../../src/testing/shared.ts';

/** The worker's entry chunk. Its only other chunks are the Node-only files convert.ts imports dynamically, never loaded in a browser. */
export async function bundleConvertWorker(): Promise<string> {
  const out = (await build({
    configFile: false,
    root: repoRoot,
    logLevel: 'silent',
    build: { write: false, minify: false, target: 'es2022', rollupOptions: { input: { w: 'workers/convert-worker.ts' } } },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const entry = [out].flat().flatMap((o) => o.output).find((c): c is Rollup.OutputChunk => c.type === 'chunk' && c.isEntry);
  if (!entry) throw new Error('bundleConvertWorker: vite produced no entry chunk for workers/convert-worker.ts');
  return entry.code;
}

export interface WorkerRun {
  /** Every event but progress (the progress event that stopped it, with `stopAtFraction`). */
  events: ConvertEvent[];
  /** performance.now() in the page: the start, the first progress (its first graph, after the folder's lock), the end. */
  span: { start: number; firstProgress: number; end: number };
}

export interface InPageConversion {
  runs: WorkerRun[];
  /** The folder's model.json once every worker ended, or null. */
  manifest: ModelManifest | null;
  /** The folder's top-level files and their sizes then. */
  stored: Record<string, number>;
}

/**
 * Runs `workers` copies of the bundled worker (`code`) in the page, all on `req` at once, to their ends. With
 * `stopAtFraction`, each is terminated once that fraction of the checkpoint bytes has been read (a closed tab).
 */
export function convertInPage(page: Page, code: string, req: Extract<ConvertRequest, { type: 'convert' }>, opts: { workers?: number; stopAtFraction?: number } = {}): Promise<InPageConversion> {
  return page.evaluate(async ({ code, req, workers, stopAtFraction }) => {
    // No named functions in here: tsx (the benchmarks' loader) would wrap them in a helper the page lacks.
    const runs = await Promise.all(Array.from({ length: workers }, async () => {
      const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })), { type: 'module' });
      const events: ConvertEvent[] = [];
      const span = { start: performance.now(), firstProgress: Infinity, end: 0 };
      await new Promise<void>((resolve) => {
        worker.onmessage = (e: MessageEvent<ConvertEvent>) => {
          const ev = e.data;
          if (ev.type === 'progress') {
            span.firstProgress = Math.min(span.firstProgress, performance.now());
            if (stopAtFraction !== undefined && ev.progress.bytesDone >= ev.progress.bytesTotal * stopAtFraction) {
              events.push(ev);
              resolve();
            }
            return;
          }
          events.push(ev);
          if (ev.type === 'done' || ev.type === 'error') resolve();
        };
        worker.onerror = (e) => {
          events.push({ type: 'error', name: 'uncaught', message: e.message });
          resolve();
        };
        worker.postMessage(req);
      });
      span.end = performance.now();
      worker.terminate();
      return { events, span };
    }));
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(req.folder);
    const stored: Record<string, number> = {};
    for await (const [name, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) if (h.kind === 'file') stored[name] = (await (h as FileSystemFileHandle).getFile()).size;
    const manifest = stored['model.json'] === undefined ? null : (JSON.parse(await (await (await dir.getFileHandle('model.json')).getFile()).text()) as ModelManifest);
    return { runs, manifest, stored };
  }, { code, req, workers: opts.workers ?? 1, stopAtFraction: opts.stopAtFraction });
}
