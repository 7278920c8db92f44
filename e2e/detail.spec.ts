// Image detail levels in the page: a phone photo shot in portrait (EXIF orientation 6: stored 1800×1200, shown
// 1200×1800) is shown upright, answered at the wasm default detail level, and the person can change the
// level; each answer says its level and image-token count, which the Node engine computes for the same photo.
import { readFileSync } from 'node:fs';
import { atDetail, detailImageTokens } from '../src/engine/preprocess/detail.ts';
import { fo1ImageProcessing } from '../src/model-folder/image.ts';
import { sharedAsset } from '../src/testing/shared.ts';
import { expect, requireShared, snapshot, test } from './fixtures.ts';

test('a portrait phone photo is shown upright and answered at the detail level the person picks', async ({ app, page }) => {
  requireShared();
  test.setTimeout(300_000);
  const photo = { name: 'Portrait_6.jpg', mimeType: 'image/jpeg', buffer: readFileSync(sharedAsset('exif-orientation', 'Portrait_6.jpg')) };
  const tokens = (level: 'low' | 'reference') => detailImageTokens(1200, 1800, atDetail(fo1ImageProcessing('dynamic'), level)).toLocaleString('en');

  await test.step('the photo opens upright: 1200×1800, taller than wide on screen', async () => {
    await app.loadDemo('wasm');
    await app.dropFile(photo);
    const img = app.image('Portrait_6.jpg, 1200×1800 pixels');
    await expect(img).toBeVisible();
    const box = (await img.boundingBox())!;
    expect(box.height).toBeGreaterThan(box.width);
  });

  await test.step('by default the answer runs at wasm’s default level and says so with its image tokens', async () => {
    // The detector proposes boxes for a new photo; the drawn box comes after them, so the counts are settled.
    await expect(app.proposalsStatus).toContainText(/Show \d+ of \d+ proposals/, { timeout: 120_000 });
    await app.drawBox([0.2, 0.2], [0.7, 0.6]);
    await app.preset('Describe region (brief)');
    const turn = await app.ask(16);
    await expect(turn.getByTestId('answer-detail')).toHaveText(`Image detail: low · ${tokens('low')} image tokens`);
  });

  await test.step('choosing the reference level re-encodes the photo: the next answer says reference and more tokens', async () => {
    await page.getByRole('combobox', { name: 'Image detail' }).selectOption('reference');
    const turn = await app.ask(16);
    await expect(turn.getByTestId('answer-detail')).toHaveText(`Image detail: reference · ${tokens('reference')} image tokens`);
    await snapshot(page, 'detail-reference-answer');
  });
});
