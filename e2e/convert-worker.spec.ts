// The in-page converter in Chromium: workers/convert-worker.ts, bundled as the browser gets it, converts the
// tiny checkpoint from a local Hub (resolve → 302 to a second origin, single ranges, CORS/CORP under the app's
// cross-origin isolation) into the origin-private file system, and writes files byte-identical to the Node
// conversion of the same checkpoint. Through the app's UI: e2e/hub-convert.spec.ts.

import { join } from 'node:path';
import { convert } from '../converter/convert.ts';
import type { Page } from '@playwright/test';
import { bundleConvertWorker, convertInPage } from '../converter/testing/convert-worker-in-page.ts';
import type { HubServer } from '../converter/testing/hub-server.ts';
import { manifestFiles, type ModelManifest } from '../src/model-folder/manifest.ts';
import { expect, test } from './fixtures.ts';
import { startTinyHub, type TinyHub } from './tiny-hub.ts';

const REPO = 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01';
const SHA = 'e2e0'.repeat(10);
let tiny: TinyHub;
let hub: HubServer;
let local: ModelManifest;
let workerCode: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  tiny = await startTinyHub({ repo: REPO, sha: SHA, seed: 7 });
  hub = tiny.hub;
  local = (await convert({ checkpoint: tiny.ckpt, out: join(tiny.root, 'local'), dtypes: ['q4'] })).manifest;
  workerCode = await bundleConvertWorker();
});
test.afterAll(() => tiny?.close());

const files = (m: ModelManifest) => manifestFiles(m).map((f) => [f.path, f.bytes, f.sha256]);

/** `workers` copies of the worker converting the local Hub's repository into `folder` at once (convertInPage). */
const runWorkers = (page: Page, folder: string, workers = 1) =>
  convertInPage(page, workerCode, { type: 'convert', repo: REPO, hubUrl: hub.hubUrl, dtypes: ['q4'], folder }, { workers });

/** One worker's events and what OPFS holds after it. */
const runWorker = async (page: Page, folder: string) => {
  const got = await runWorkers(page, folder);
  return { ...got, events: got.runs[0].events };
};

test('converts the tiny checkpoint from a local Hub into OPFS, byte-identical to the Node conversion', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/');
  const got = await test.step('run the worker', () => runWorker(page, 'fo1-e2e'));
  expect(got.events.map((e) => e.type)).toEqual(['resolved', 'done']);
  expect(got.events[0]).toMatchObject({ type: 'resolved', sha: SHA });
  expect(files(got.manifest!)).toEqual(files(local));
  expect(got.manifest!.conversion?.commit).toBe(SHA);
  expect(Object.keys(got.stored).sort()).toEqual(['model.json', 'tokenizer.json', 'tokenizer_config.json']); // the graphs are under onnx/; no journal left
  expect(hub.requests.filter((r) => r.origin === 'cdn').every((r) => r.referer === undefined && r.range)).toBe(true);
});

test('a conversion that loses the network resumes after a reload from its last finished graph, and ends identical', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/');
  const first = await test.step('every read of the embedding fails: the worker stops with ConnectionLostError', async () => {
    hub.faults.cut = { file: tiny.embedShard, afterBytes: 0, times: 1000, minBytes: 4096 };
    try {
      return await runWorker(page, 'fo1-resume');
    } finally {
      hub.faults.cut = undefined;
    }
  });
  expect(first.events.at(-1)).toMatchObject({ type: 'error', name: 'ConnectionLostError' });
  expect(first.manifest).toBeNull();
  expect(Object.keys(first.stored)).toContain('convert-progress.json');
  await page.reload();
  const second = await test.step('after a reload, the same request resumes', () => runWorker(page, 'fo1-resume'));
  expect(second.events.at(-1)).toMatchObject({ type: 'done', resumed: ['onnx/vision_semantic_q4.onnx', 'onnx/vision_perception_q4.onnx', 'onnx/region_pyramid_q4.onnx', 'onnx/region_encoder_q4.onnx'] });
  expect(files(second.manifest!)).toEqual(files(local));
  expect(Object.keys(second.stored)).not.toContain('convert-progress.json');
});

test('two conversions into one folder at once (two tabs) run one after the other, and the folder ends identical', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/');
  const got = await runWorkers(page, 'fo1-twice', 2);
  for (const r of got.runs) expect(r.events.at(-1)).toMatchObject({ type: 'done' });
  const [first, second] = got.runs.map((r) => r.span).sort((x, y) => x.end - y.end);
  expect(second.firstProgress).toBeGreaterThanOrEqual(first.end - 50); // it waited for the folder's lock
  expect(files(got.manifest!)).toEqual(files(local));
  expect(Object.keys(got.stored)).not.toContain('convert-progress.json');
});
