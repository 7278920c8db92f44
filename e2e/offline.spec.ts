// Offline: after one online visit the service worker has precached the app shell and ORT's wasm, so
// the app loads and its worker runs ONNX with no network at all.
import { expect, snapshot, test } from './fixtures.ts';

test.use({ serviceWorkers: 'allow' });

test('the app starts and runs ONNX offline after one visit', async ({ app, page, context }) => {
  await test.step('the first visit installs the service worker and its precache', async () => {
    await expect(app.statusSummary).toHaveText('WASM · WebGPU', { timeout: 45_000 });
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const cached = await page.evaluate(async () => {
      const names = await caches.keys();
      const urls = (await Promise.all(names.map(async (n) => (await (await caches.open(n)).keys()).map((r) => r.url)))).flat();
      return urls.map((u) => new URL(u).pathname);
    });
    expect(cached).toContain('/index.html');
    expect(cached.some((p) => /ort-wasm-simd-threaded\.asyncify-.*\.wasm$/.test(p))).toBe(true);
  });

  await test.step('offline, a reload still shows the app and the worker still runs WASM', async () => {
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Drop a photo here' })).toBeVisible();
    await expect(app.statusSummary).toHaveText('WASM · WebGPU', { timeout: 45_000 });
    await app.openStatus();
    await expect(app.backend('wasm')).toHaveAttribute('data-ok', 'true');
    await expect(page.evaluate(() => crossOriginIsolated)).resolves.toBe(true);
    await snapshot(page, 'offline');
  });
});
