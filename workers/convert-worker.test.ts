// The in-page converter must load in a browser worker: bundling workers/convert-worker.ts for the browser, as
// the app's build does, every module reachable by static imports must be free of Node's modules (vite swaps
// those for a "__vite-browser-external" stub that throws when used). The Node-only files (a folder path as
// checkpoint, the local-disk output) may only be reached by the dynamic imports that Node alone takes.

import { describe, expect, it } from 'vitest';
import { build, type Rollup } from 'vite';
import { repoRoot } from '../src/testing/shared.ts';

describe('convert-worker bundle', () => {
  it('reaches no Node module through static imports', async () => {
    const result = (await build({
      configFile: false,
      root: repoRoot,
      logLevel: 'silent',
      build: { write: false, minify: false, target: 'es2022', rollupOptions: { input: { 'convert-worker': 'workers/convert-worker.ts' } } },
    })) as Rollup.RollupOutput | Rollup.RollupOutput[];
    const chunks = new Map<string, Rollup.OutputChunk>();
    for (const o of [result].flat()) for (const c of o.output) if (c.type === 'chunk') chunks.set(c.fileName, c);
    const entry = [...chunks.values()].find((c) => c.isEntry)!;
    const reached = new Set<string>();
    const visit = (name: string) => {
      if (reached.has(name)) return;
      reached.add(name);
      for (const i of chunks.get(name)?.imports ?? []) visit(i);
    };
    visit(entry.fileName);
    const nodeIn = (c: Rollup.OutputChunk) => c.moduleIds.filter((id) => id.includes('__vite-browser-external') || id.startsWith('node:'));
    const staticModules = [...reached].flatMap((n) => chunks.get(n)!.moduleIds);
    expect(staticModules.some((id) => id.endsWith('converter/convert.ts'))).toBe(true);
    expect(staticModules.some((id) => id.endsWith('converter/read/file-byte-source.ts'))).toBe(true); // a picked folder, read in the worker
    expect(staticModules.some((id) => id.endsWith('converter/emit/decoder.ts'))).toBe(true);
    expect([...reached].flatMap((n) => nodeIn(chunks.get(n)!))).toEqual([]);
    // The check can see Node modules: the dynamically imported Node-only files are in the bundle, with them.
    const dynamicOnly = [...chunks.values()].filter((c) => !reached.has(c.fileName));
    expect(dynamicOnly.flatMap((c) => c.moduleIds).some((id) => id.endsWith('converter/read/node-byte-source.ts'))).toBe(true);
    expect(dynamicOnly.flatMap(nodeIn).length).toBeGreaterThan(0);
  });
});
