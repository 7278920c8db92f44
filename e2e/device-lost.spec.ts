// Issue 4 "Bad input": the WebGPU device lost mid-answer. The demo model runs on WebGPU (SwiftShader here);
// once the answer has streamed a token, the test destroys the GPUDevice onnxruntime runs on, from inside the
// engine's worker. The engine must move to WASM, finish the question there, say so, and keep answering.
// The worker reports the move (a backendChanged event), so the model badge and the status panel then say
// WASM and why. No hook in the app: the test patches GPUDevice.prototype in the worker (Playwright's worker.evaluate), so
// the device is captured — and destroyed — on its next command encoder, i.e. during the next graph run.
import sharp from 'sharp';
import { cocoPhoto, expect, requireShared, snapshot, test } from './fixtures.ts';

test('WebGPU device lost mid-answer: the answer finishes on WASM with a notice, and the next question works', async ({ app, page }) => {
  requireShared();
  test.setTimeout(600_000);
  await app.loadDemo('webgpu');
  await expect(app.modelBadge).toHaveText('Demo model · WebGPU');
  const worker = page.workers().find((w) => /worker/i.test(w.url()));
  expect(worker, 'the engine worker').toBeDefined();
  await worker!.evaluate(() => {
    const g = globalThis as unknown as { __loseDevice: boolean };
    g.__loseDevice = false;
    const proto = GPUDevice.prototype;
    const original = proto.createCommandEncoder;
    proto.createCommandEncoder = function (this: GPUDevice, ...args: Parameters<GPUDevice['createCommandEncoder']>) {
      if (g.__loseDevice) {
        g.__loseDevice = false;
        this.destroy();
      }
      return original.apply(this, args);
    };
  });

  // SwiftShader is a CPU emulation: the photo at 320 px wide keeps the WebGPU prefill short (model.spec.ts).
  const photo = cocoPhoto(0);
  await app.dropFile({ ...photo, buffer: await sharp(photo.buffer).resize({ width: 320 }).jpeg().toBuffer() });
  await expect(app.proposalsStatus).toContainText(/Show \d+ of \d+ proposals/, { timeout: 120_000 });
  await app.selectBox(0);
  await app.preset('Describe region (brief)');

  const turn = await app.startAsking(16);
  await expect(turn.getByTestId('answer-text')).not.toHaveText(/^(Thinking…)?$/, { timeout: 180_000 });
  await worker!.evaluate(() => ((globalThis as unknown as { __loseDevice: boolean }).__loseDevice = true));
  await expect(turn).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await expect(turn.getByTestId('backend-fallback')).toHaveText('WebGPU was lost; continuing on WASM.');
  await expect(turn.getByTestId('backend-fallback')).toHaveAttribute('title', /WebGPU device lost.*continuing on wasm/);
  await expect(turn.getByTestId('timings')).toContainText('WASM');
  await expect(turn.getByTestId('answer-text')).not.toBeEmpty();

  // The worker told the page: the badge, the backend summary and the status panel say WASM, and why.
  await expect(app.modelBadge).toHaveText('Demo model · WASM');
  await expect(app.modelBadge).toHaveAttribute('title', /^WebGPU device lost \(.+\) — continued on WASM$/);
  await expect(app.modelBadge).toHaveAccessibleName(/^Model: Demo model · WASM — WebGPU device lost/);
  await expect(app.statusSummary).toContainText('WebGPU lost');
  await app.openStatus();
  await expect(app.status.getByTestId('status-fallback')).toHaveText(/^WebGPU device lost \(.+\) — continued on WASM\.$/);
  await expect(app.status.getByTestId('sessions').locator('li[data-backend="webgpu"]')).toHaveCount(0);
  await expect(app.backend('webgpu')).toHaveAttribute('data-ok', 'false');
  await expect(app.backend('webgpu')).toContainText('WebGPU worked, then its device was lost');
  await snapshot(page, 'device-lost-status');
  await app.statusSummary.click(); // close the panel: it overlaps the question box
  await expect(app.status).not.toHaveAttribute('open', '');

  const next = await app.ask(16);
  await expect(next.getByTestId('answer-text')).not.toBeEmpty();
  await expect(next.getByTestId('timings')).toContainText('WASM');
  await expect(next.getByTestId('backend-fallback')).toHaveCount(0);
  await expect(app.modelBadge).toHaveText('Demo model · WASM');
});
