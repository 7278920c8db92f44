// Bad input shows a specific message and the app keeps working afterwards.
import { cocoPhoto, expect, requireShared, snapshot, test } from './fixtures.ts';

test('a non-image file and a corrupt JPEG are refused with specific messages; a photo still opens', async ({ app, page }) => {
  requireShared();
  await test.step('a text file is not an image', async () => {
    await app.dropFile({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some notes, not pixels') });
    await expect(app.error).toContainText('“notes.txt” is not an image (it is text/plain)');
    await snapshot(page, 'error-not-an-image');
  });

  await test.step('a truncated JPEG is corrupt', async () => {
    const photo = cocoPhoto(0);
    await app.dropFile({ name: 'broken.jpg', mimeType: 'image/jpeg', buffer: photo.buffer.subarray(0, 600) });
    await expect(app.error).toContainText('“broken.jpg” looks like a JPEG but could not be decoded');
  });

  await test.step('the next real photo opens and clears the error', async () => {
    const photo = cocoPhoto(2);
    await app.dropFile(photo);
    await expect(app.image(new RegExp(photo.name))).toBeVisible();
    await expect(app.error).toHaveCount(0);
    await app.drawBox([0.2, 0.2], [0.6, 0.6]);
  });
});

test('asking without a model gives the typed "no model loaded" error with a retry', async ({ app, page }) => {
  requireShared();
  await app.pickFile(cocoPhoto(0));
  await app.drawBox([0.2, 0.2], [0.6, 0.6]);
  await page.getByRole('radio', { name: 'Read text in region' }).check();
  await app.askButton.click();
  await expect(app.error).toContainText('no model loaded');
  await expect(app.error.getByRole('button', { name: 'Retry' })).toBeVisible();
  await snapshot(page, 'error-no-model');
  await app.error.getByRole('button', { name: 'Retry' }).click();
  await expect(app.error).toContainText('no model loaded'); // the worker answered again: still alive
});
