import { defineConfig, devices } from '@playwright/test';

// E2E runs against the production build served by `vite preview` (build first: `npm run build`, or
// `npx vite build`). Chromium is Debian's; `--enable-unsafe-webgpu` is the one flag that gives headless
// Chromium a WebGPU adapter (SwiftShader on machines without a GPU).
// E2E_PORT lets a second checkout run its suite beside this one (each serves its own build).
const PORT = Number(process.env.E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  forbidOnly: !!process.env.CI,
  retries: 0,
  // CI has 2 cores, and WebGPU on SwiftShader is CPU-bound: one browser at a time.
  workers: 1,
  reporter: [['list']],
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: { executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu'] },
    // The PWA service worker is tested on its own; elsewhere it would only add cache state between tests.
    serviceWorkers: 'block',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'laptop', use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 } } },
    { name: 'phone', use: { ...devices['Pixel 7'] }, grep: /@phone/ },
  ],
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
  },
});
