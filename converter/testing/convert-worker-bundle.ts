// workers/convert-worker.ts bundled as a browser gets it (vite, no minification), for the e2e test and the
// browser-convert benchmark, which run it in Chromium as a blob worker. Node only (it runs vite).

import { build, type Rollup } from 'vite';
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
