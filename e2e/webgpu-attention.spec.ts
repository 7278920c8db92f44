// Long-run attention on this browser's WebGPU adapter (answers must be right on every adapter): the engine's load-time self-check
// (src/engine/decode/attention-check.ts) and the chunked prefill it selects, on the fo1-golden qwen decoder.
// On SwiftShader — headless Chromium's adapter here, with 4-lane subgroups — onnxruntime-web's flash prefill
// kernel (≥ 32 new tokens) is wrong: the check must catch it, the chunked decoder must then match the golden
// logits, and the unchunked one must not (so the check is no false alarm). On an adapter where long runs are
// right, both must match and nothing is chunked.
// The page is served by routes of this test (no app build needed): the engine modules bundled with vite, the
// fp32 golden decoder graph built by the converter, and onnxruntime-web's own dist files.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { build } from 'vite';
import { Graph } from '../src/onnx/graph.ts';
import { emitDecoder } from '../converter/emit/decoder.ts';
import { embedTokens, loadDecoderWeights } from '../reference/decoder.ts';
import { loadQwenGolden } from '../reference/decoder-golden.ts';
import { slice } from '../reference/tensor.ts';
import { hasShared, NO_SHARED, repoRoot } from '../src/testing/shared.ts';
import type { AttentionPageInput, AttentionPageResult } from './webgpu-attention.page.ts';

const BASE = '/__webgpu-attention/';
const ORT_DIST = join(repoRoot, 'node_modules', 'onnxruntime-web', 'dist');

/** The golden decoder graph and the page's input, from ../shared through the converter and reference. */
async function goldenDecoder(): Promise<{ graph: Uint8Array; input: AttentionPageInput; golden: { last: Float32Array; step: Float32Array } }> {
  const G = await loadQwenGolden();
  try {
    const g = new Graph('decoder');
    await emitDecoder(g, { w: G.weights, format: 'fp32', blockSize: 32, minQuantK: 0 }, G.cfg);
    const S = G.inputsEmbeds.shape[0];
    const next = embedTokens(await loadDecoderWeights(G.weights, G.cfg), G.generatedIds.slice(0, 1));
    const { numHeads, numKvHeads, headDim, numLayers, hiddenSize } = G.cfg;
    return {
      graph: g.encode(),
      input: {
        numHeads, numKvHeads, headDim, numLayers, hiddenSize,
        prompt: Array.from(G.inputsEmbeds.data),
        next: Array.from(next.data),
        positions: Array.from(slice(G.positionsExtended, 1, 0, S + 1).data),
      },
      golden: { last: slice(G.logitsExtended, 0, S - 1, S).data, step: slice(G.logitsExtended, 0, S, S + 1).data },
    };
  } finally {
    await G.weights.close();
  }
}

/** webgpu-attention.page.ts and the engine modules it imports, as one ES module. */
async function pageBundle(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    root: repoRoot,
    build: { write: false, minify: false, lib: { entry: join(repoRoot, 'e2e', 'webgpu-attention.page.ts'), formats: ['es'], fileName: 'page' } },
  });
  const chunk = (Array.isArray(out) ? out[0] : out) as { output: { code?: string }[] };
  return chunk.output[0].code!;
}

const html = `<!doctype html><html><body><script type="module">
import * as ort from '${BASE}ort/ort.webgpu.mjs';
import { runAttentionPage } from '${BASE}page.js';
ort.env.wasm.wasmPaths = '${BASE}ort/';
ort.env.wasm.numThreads = 1;
const [graph, input] = await Promise.all([fetch('${BASE}decoder.onnx').then((r) => r.arrayBuffer()), fetch('${BASE}input.json').then((r) => r.json())]);
window.__result = await runAttentionPage(ort, new Uint8Array(graph), input).then((result) => ({ result }), (e) => ({ error: String(e?.stack ?? e) }));
</script></body></html>`;

/** max |a − b| / max |b| (the fo1-golden README's tolerance measure). */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let e = 0, m = 0;
  for (let i = 0; i < expected.length; i++) {
    e = Math.max(e, Math.abs(actual[i] - expected[i]));
    m = Math.max(m, Math.abs(expected[i]));
  }
  return e / m;
}

test('WebGPU attention: the self-check catches long-run errors and the chunked decoder matches the golden logits', async ({ page }) => {
  test.skip(!hasShared, NO_SHARED);
  test.setTimeout(120_000);
  const [{ graph, input, golden }, bundle] = await Promise.all([goldenDecoder(), pageBundle()]);
  const files: Record<string, { body: string | Buffer; type: string }> = {
    'index.html': { body: html, type: 'text/html' },
    'page.js': { body: bundle, type: 'text/javascript' },
    'decoder.onnx': { body: Buffer.from(graph), type: 'application/octet-stream' },
    'input.json': { body: JSON.stringify(input), type: 'application/json' },
  };
  await page.route(`**${BASE}**`, async (route) => {
    const name = new URL(route.request().url()).pathname.slice(BASE.length);
    if (files[name]) return route.fulfill({ body: files[name].body, contentType: files[name].type });
    if (name.startsWith('ort/')) {
      const file = name.slice(4);
      const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      return route.fulfill({ body: await readFile(join(ORT_DIST, file)), contentType: type }).catch(() => route.fulfill({ status: 404 }));
    }
    return route.fulfill({ status: 404 });
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${BASE}index.html`);
  const handle = await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, { timeout: 110_000, polling: 250 });
  const outcome = (await handle.jsonValue()) as { result?: AttentionPageResult; error?: string };
  expect(outcome.error, 'page error').toBeUndefined();
  expect(errors).toEqual([]);
  const r = outcome.result!;
  const err = { chunked: relativeError(r.chunked, golden.last), step: relativeError(r.chunkedStep, golden.step), whole: relativeError(r.whole, golden.last) };
  const figures = `prefill in runs of ≤ ${r.maxRun}: ${err.chunked.toExponential(2)}, next step ${err.step.toExponential(2)}; one run: ${err.whole.toExponential(2)}`;
  test.info().annotations.push({ type: 'adapter', description: `${r.reason}; self-check maxRun ${r.maxRun}${r.failures ? ` (${r.failures})` : ''}; logits vs golden: ${figures}` });

  expect(r.decoderBackend).toBe('webgpu');
  expect(r.reason).toMatch(/\b(no )?shader-f16\b/);
  // Whatever the adapter, the decoder as the engine runs it after the check gives the golden logits.
  expect(err.chunked, 'last prompt logits, prefill as the check allows').toBeLessThanOrEqual(1e-4);
  expect(err.step, 'the next step after that prefill').toBeLessThanOrEqual(1e-4);
  const wholeError = err.whole;
  if (r.maxRun === 'Infinity') {
    expect(r.failures).toBe('');
    expect(wholeError, 'one-run prefill on an adapter that passed the check').toBeLessThanOrEqual(1e-4);
  } else {
    expect(r.failures).toMatch(/48 new tokens/);
    expect(wholeError, 'one-run prefill on an adapter that failed the check is really wrong').toBeGreaterThan(1e-2);
  }
  // SwiftShader (4-lane subgroups) is the adapter the failure was found on: the check must flag it and settle
  // on the longest run ORT sends through its split-reduce kernels.
  if (r.adapter.subgroupMaxSize !== null && r.adapter.subgroupMaxSize < 8) {
    expect(r.reason).toContain(`subgroups of ${r.adapter.subgroupMaxSize} lanes`);
    expect(r.maxRun).toBe('31');
  }
});
