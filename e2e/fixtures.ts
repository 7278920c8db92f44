// Test fixtures: every test gets an `app` page object on a fresh page, and an automatic network guard
// that aborts any request leaving 127.0.0.1/localhost and fails the test if one was even attempted
// (the app must never reach a CDN, font host or analytics).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { test as base, expect } from '@playwright/test';
import { hasShared, NO_SHARED, sharedAsset } from '../src/testing/shared.ts';
import { AppPage, type FilePayload } from './pages/AppPage.ts';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLocal(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'data:' || u.protocol === 'blob:' || LOCAL_HOSTS.has(u.hostname);
}

interface Fixtures {
  app: AppPage;
  externalRequests: string[];
}

export const test = base.extend<Fixtures>({
  externalRequests: [
    async ({ context }, use) => {
      const attempted: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (isLocal(url)) return route.continue();
        attempted.push(url);
        return route.abort('blockedbyclient');
      });
      await use(attempted);
      expect(attempted, 'requests to hosts other than localhost').toEqual([]);
    },
    { auto: true },
  ],
  app: async ({ page }, use) => {
    const app = new AppPage(page);
    await app.goto();
    await use(app);
  },
});

export { expect };

/** Skips the calling test when ../shared (the real photos) is not beside the repo. */
export function requireShared(): void {
  test.skip(!hasShared, NO_SHARED);
}

/** A real COCO val2017 photo from ../shared (call `requireShared()` first). */
export function cocoPhoto(index = 0): FilePayload {
  const dir = sharedAsset('coco-val2017', 'images');
  const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
  const path = join(dir, files[index]);
  return { name: basename(path), mimeType: 'image/jpeg', buffer: readFileSync(path) };
}

/** Saves a screenshot of the page as an artifact of the current test (under test-results/). */
export async function snapshot(page: import('@playwright/test').Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

/** Starts recording main-thread tasks over 50 ms (the Long Tasks API); read them with `longTasks`. */
export async function observeLongTasks(page: import('@playwright/test').Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push(e.duration))).observe({ type: 'longtask' });
  });
}

/** Reports (never asserts) the long tasks seen since `observeLongTasks`, under `what`. */
export async function reportLongTasks(page: import('@playwright/test').Page, what: string): Promise<void> {
  const tasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.splice(0));
  const report = `${what}: ${tasks.length} main-thread task(s) over 50 ms${tasks.length ? ` (longest ${Math.max(...tasks).toFixed(0)} ms, total ${tasks.reduce((a, b) => a + b, 0).toFixed(0)} ms)` : ''}`;
  test.info().annotations.push({ type: 'performance', description: report });
  console.log(`[perf] ${report}`);
}

/**
 * Serves folder `dir` on disk at path `urlPath` ('/models/x/') of the test server, through the page's routes
 * (the worker's fetches included), so a test model needs no copy under dist/; a file it lacks is a 404.
 * Returns the folder's URL.
 */
export async function serveFolder(page: import('@playwright/test').Page, urlPath: string, dir: string): Promise<string> {
  const root = new URL(urlPath, page.url());
  await page.route(`${root.href}**`, (route) => {
    const file = resolve(dir, decodeURIComponent(new URL(route.request().url()).pathname.slice(root.pathname.length)));
    const inside = !relative(dir, file).startsWith('..');
    if (!inside || !existsSync(file) || !statSync(file).isFile()) return route.fulfill({ status: 404, body: 'Not Found' });
    return route.fulfill({ path: file });
  });
  return root.href;
}
