// The wasm decoder's int4 kernels on several threads in the browser: helper module workers started from
// inside the engine's worker, one shared WebAssembly.Memory, Atomics.wait in the engine worker. The app's
// default on a 2-core machine is one kernel thread, so this spec asks for more with `?threads=N`.
// The kernels split each output's features (and attention's tokens × kv heads) across threads without
// changing any sum's order, so every thread count computes the same numbers: the demo model's greedy
// answer must be the same text on 1, 2 and 3 threads. Its random weights answer one token repeated
// (measured: "_chk" × 16), so this mostly proves the threaded path starts, runs and ends in the browser
// (a helper that never answers would hang the engine worker in Atomics.wait); the per-thread arithmetic
// is checked number by number in Node (int4/kernels.test.ts, int4-decoder.test.ts). Chromium has wasm relaxed
// SIMD, so the decoder must name the kernels' relaxed build: the fast path really runs in the browser.
import type { Page } from '@playwright/test';
import { cocoPhoto, expect, requireShared, test } from './fixtures.ts';
import type { AppPage } from './pages/AppPage.ts';

/** Opens the app with `?threads=n`, loads the demo on wasm, checks the decoder's thread count, and asks about box 0. */
async function answerOnThreads(app: AppPage, page: Page, threads: number): Promise<string> {
  await page.goto(`/?threads=${threads}`);
  await expect(page.getByRole('heading', { name: 'Drop a photo here' })).toBeVisible();
  await app.loadDemo('wasm');
  await app.openStatus();
  const decoder = page.getByTestId('sessions').getByRole('listitem').filter({ hasText: 'decoder_model_merged' });
  await expect(decoder).toHaveAttribute('data-backend', 'wasm');
  await expect(decoder).toContainText(`int4 kernels (fo1-web's wasm relaxed SIMD, ${threads} thread${threads > 1 ? 's' : ''})`);
  await app.statusSummary.click();

  await app.dropFile(cocoPhoto(0));
  await expect(app.proposalsStatus).toContainText(/Show \d+ of \d+ proposals/, { timeout: 120_000 });
  await app.selectBox(0);
  await app.preset('Describe region (brief)');
  const turn = await app.ask(16);
  const text = (await turn.getByTestId('answer-text').textContent()) ?? '';
  test.info().annotations.push({ type: 'answer', description: `${threads} thread(s): ${JSON.stringify(text)}` });
  const timings = `${threads} thread(s): ${await turn.getByTestId('timings').textContent()}`;
  test.info().annotations.push({ type: 'performance', description: timings });
  console.log(`[perf] ${timings}`);
  return text;
}

test('the wasm decoder answers the same on 1, 2 and 3 kernel threads (?threads=N)', async ({ app, page }) => {
  requireShared();
  test.setTimeout(300_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
  // The engine worker's and its kernel threads' console errors reach the page's console too.
  const consoleErrors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

  const one = await test.step('one thread', () => answerOnThreads(app, page, 1));
  expect(one).not.toBe('');
  for (const threads of [2, 3]) {
    await test.step(`${threads} threads: the same answer`, async () => {
      expect(await answerOnThreads(app, page, threads)).toBe(one);
    });
  }
  expect(pageErrors).toEqual([]);
  expect(consoleErrors).toEqual([]);
});

test('?threads=0 is refused with a message naming the value', async ({ app, page }) => {
  await page.goto('/?threads=0');
  await page.getByRole('button', { name: /^Try the demo model/ }).click();
  await expect(app.error).toContainText('wasmThreads must be a whole number of threads from 1 to 16 (got 0)');
  // The page is not stuck loading: the model screen can be used again.
  await expect(page.getByRole('button', { name: /^Try the demo model/ })).toBeEnabled();
});
