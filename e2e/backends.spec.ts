// onnxruntime-web runs in the app's worker on both backends, with the right numbers.
import { expect, snapshot, test } from './fixtures.ts';

// relu(x·W + b) for x = [[1, 1], [2, -1]], W = [[1, 2, 3], [4, 5, 6]], b = [0.5, -1, 2], by hand:
// row 0 = [1+4, 2+5, 3+6] + b = [5.5, 6, 11]; row 1 = [2-4, 4-5, 6-6] + b = [-1.5, -2, 2] → [0, 0, 2].
const EXPECTED = '[5.5, 6, 11, 0, 0, 2]';

test('the worker runs ONNX on WASM and on WebGPU and gets the right result', async ({ app, page }) => {
  await test.step('the badge reports both backends working', async () => {
    await expect(app.statusSummary).toHaveText('WASM · WebGPU', { timeout: 45_000 });
  });
  await test.step('each backend computed the probe graph correctly', async () => {
    await app.openStatus();
    for (const name of ['wasm', 'webgpu'] as const) {
      await expect(app.backend(name)).toHaveAttribute('data-ok', 'true');
      await expect(app.backend(name)).toContainText(EXPECTED);
    }
    await expect(app.backend('webgpu')).toContainText('swiftshader');
    await expect(app.status).toContainText('Cross-origin isolated');
    await snapshot(page, 'backends');
  });
});
