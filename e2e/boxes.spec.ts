// Opening a real photo and working with boxes: draw, select, multi-select, resize, delete, keyboard.
import { cocoPhoto, expect, requireShared, snapshot, test } from './fixtures.ts';

test.beforeEach(() => requireShared());

test('drop a photo, draw boxes, select and delete them @phone', async ({ app, page }) => {
  const photo = cocoPhoto(0);
  await test.step('dropping a COCO photo shows it', async () => {
    await app.dropFile(photo);
    await expect(app.image(new RegExp(photo.name))).toBeVisible();
    await expect(app.boxCount).toHaveText(/No boxes yet/);
    await snapshot(page, '01-photo');
  });

  await test.step('dragging on empty space draws a box with badge 0, selected', async () => {
    await app.drawBox([0.1, 0.1], [0.4, 0.5]);
    await expect(app.box(0)).toHaveAttribute('aria-pressed', 'true');
    await expect(app.box(0).locator('text')).toHaveText('0');
    await expect(page.getByRole('button', { name: 'Region 0 (remove from the question)' })).toBeVisible();
  });

  await test.step('a second box becomes the selection; shift-click adds the first back', async () => {
    await app.drawBox([0.55, 0.3], [0.9, 0.8]);
    await expect(app.box(1)).toHaveAttribute('aria-pressed', 'true');
    await expect(app.box(0)).toHaveAttribute('aria-pressed', 'false');
    await app.clickAt([0.2, 0.2], ['Shift']);
    await expect(app.box(0)).toHaveAttribute('aria-pressed', 'true');
    await expect(app.boxCount).toHaveText('2 boxes, 2 selected');
    await snapshot(page, '02-two-boxes-selected');
  });

  await test.step('hovering a region chip highlights its box', async () => {
    await page.getByRole('button', { name: 'Region 1 (remove from the question)' }).hover();
    await expect(app.box(1)).toHaveAttribute('data-hovered', 'true');
    await expect(app.box(0)).not.toHaveAttribute('data-hovered');
  });

  await test.step('clicking empty space clears the selection; clicking a box selects it alone', async () => {
    await app.clickAt([0.48, 0.95]);
    await expect(app.boxCount).toHaveText('2 boxes, 0 selected');
    await app.clickAt([0.7, 0.5]);
    await expect(app.boxCount).toHaveText('2 boxes, 1 selected');
    await expect(app.box(1)).toHaveAttribute('aria-pressed', 'true');
  });

  await test.step('dragging the corner handle resizes the selected box', async () => {
    const before = await app.box(1).getAttribute('aria-label');
    await app.drag([0.9, 0.8], [0.95, 0.95]);
    await expect(app.box(1)).not.toHaveAttribute('aria-label', before!);
    await expect(app.boxes()).toHaveCount(2);
  });

  await test.step('Delete removes the selected box; the other stays region 0', async () => {
    await page.keyboard.press('Delete');
    await expect(app.boxes()).toHaveCount(1);
    await expect(app.box(0)).toBeVisible();
  });

  await test.step('clear removes every box', async () => {
    await app.clearBoxes.click();
    await expect(app.boxes()).toHaveCount(0);
  });
});

test('boxes are reachable and editable from the keyboard', async ({ app, page }) => {
  await app.pickFile(cocoPhoto(1));
  await app.drawBox([0.1, 0.1], [0.3, 0.3]);
  await app.drawBox([0.5, 0.5], [0.8, 0.8]);
  await app.clickAt([0.95, 0.05]); // clear the selection

  await test.step('Tab reaches the boxes, arrows move between them, Enter selects', async () => {
    await app.box(0).focus();
    await page.keyboard.press('ArrowRight');
    await expect(app.box(1)).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(app.box(1)).toHaveAttribute('aria-pressed', 'true');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Shift+Enter');
    await expect(app.boxCount).toHaveText('2 boxes, 2 selected');
  });

  await test.step('Escape clears the selection and Delete removes the focused box', async () => {
    await page.keyboard.press('Escape');
    await expect(app.boxCount).toHaveText('2 boxes, 0 selected');
    await page.keyboard.press('Delete');
    await expect(app.boxes()).toHaveCount(1);
    await expect(app.box(0)).toBeFocused();
  });
});

test('pasting a photo opens it; the camera input asks for the rear camera', async ({ app, page }) => {
  const photo = cocoPhoto(3);
  await app.pasteFile(photo);
  await expect(app.image(new RegExp(photo.name))).toBeVisible();
  await expect(page.getByLabel('Take a photo', { exact: true }).and(page.locator('input'))).toHaveAttribute('capture', 'environment');
});
