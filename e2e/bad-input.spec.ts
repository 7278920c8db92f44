// Bad input shows a specific message and the app keeps working afterwards.
import { pngHeaderOnly } from '../src/app/image/testing/png-header.ts';
import { SVG_REFUSED } from '../src/engine/image/svg.ts';
import { cocoPhoto, expect, requireShared, snapshot, test } from './fixtures.ts';

// The header's size check refuses it before createImageBitmap: a decoder would instead fail on the missing
// pixel data ("could not be decoded"), so this exact message shows the browser never tried.
const HUGE = { name: 'huge.png', mimeType: 'image/png', buffer: pngHeaderOnly(30000, 30000) };
const HUGE_MESSAGE = '“huge.png” cannot be used: the image is 30000×30000 pixels (900.0 MP); the limit is 64.0 MP.';

test('a non-image file, a corrupt JPEG and a huge image are refused with specific messages; a photo still opens', async ({ app, page }) => {
  requireShared();
  await test.step('a text file is not an image', async () => {
    await app.dropFile({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some notes, not pixels') });
    await expect(app.error).toContainText('“notes.txt” is not an image: its bytes are not a JPEG, PNG, WebP, GIF, BMP or AVIF picture (its name says text/plain).');
    await snapshot(page, 'error-not-an-image');
  });

  await test.step('an SVG drawing is refused with the message the CLI gives', async () => {
    await app.dropFile({ name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48"/></svg>') });
    await expect(app.error).toContainText(`“drawing.svg”: ${SVG_REFUSED}.`);
  });

  await test.step('a truncated JPEG is corrupt', async () => {
    const photo = cocoPhoto(0);
    await app.dropFile({ name: 'broken.jpg', mimeType: 'image/jpeg', buffer: photo.buffer.subarray(0, 600) });
    await expect(app.error).toContainText('“broken.jpg” looks like a JPEG but could not be decoded');
  });

  await test.step('a 30000×30000 image is refused from its header, naming its size and the limit', async () => {
    await app.dropFile(HUGE);
    await expect(app.error).toContainText(HUGE_MESSAGE);
    await snapshot(page, 'error-huge-image');
  });

  await test.step('the next real photo opens and clears the error', async () => {
    const photo = cocoPhoto(2);
    await app.dropFile(photo);
    await expect(app.image(new RegExp(photo.name))).toBeVisible();
    await expect(app.error).toHaveCount(0);
    await app.drawBox([0.2, 0.2], [0.6, 0.6]);
  });

  await test.step('a huge image pasted over the photo is refused, and the photo and its box stay usable', async () => {
    const photo = cocoPhoto(2);
    await app.pasteFile(HUGE);
    await expect(app.error).toContainText(HUGE_MESSAGE);
    await expect(app.image(new RegExp(photo.name))).toBeVisible();
    await expect(app.boxes()).toHaveCount(1);
    await app.drawBox([0.65, 0.65], [0.9, 0.9]);
  });
});

test('without a model the question cannot be sent, and says why', async ({ app, page }) => {
  requireShared();
  await app.pickFile(cocoPhoto(0));
  await app.drawBox([0.2, 0.2], [0.6, 0.6]);
  await page.getByRole('radio', { name: 'Read text in region' }).check();
  await expect(app.askButton).toBeDisabled();
  await expect(page.getByText('Load a model first (the Model button at the top).')).toBeVisible();
  await snapshot(page, 'no-model');
});
