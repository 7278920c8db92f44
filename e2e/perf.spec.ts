// Issue 4 "Performance": measured and reported (as test annotations and in the list reporter's output),
// never asserted against a time. First contentful paint of the production build, and main-thread long
// tasks (> 50 ms) while the worker probes the backends and a photo opens.
import { cocoPhoto, expect, requireShared, test } from './fixtures.ts';

test('reports first contentful paint and main-thread long tasks', async ({ page, app }) => {
  requireShared();
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
  });
  await app.dropFile(cocoPhoto(0));
  await expect(app.frame).toBeVisible();
  await expect(app.statusSummary).toHaveText('WASM · WebGPU', { timeout: 45_000 });

  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
  expect(fcp, 'the browser recorded a first contentful paint').not.toBeNull();
  const report = `FCP ${fcp!.toFixed(0)} ms; ${longTasks.length} main-thread task(s) over 50 ms${longTasks.length ? ` (longest ${Math.max(...longTasks).toFixed(0)} ms)` : ''}`;
  test.info().annotations.push({ type: 'performance', description: report });
  console.log(`[perf] ${report}`);
});
