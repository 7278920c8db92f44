// The question box and the context budget (issue 15), on the demo model on WASM (the int4 kernels' 8192-
// position KV cache) with a tiny photo: the box takes at most 8192 characters, a question that cannot fit
// turns Ask off with its token counts (never an [internal] error after the fact), one near the limit shows
// the tokens left, and the answer to it says it was cut to what fit.
import sharp from 'sharp';
import { expect, test } from './fixtures.ts';

const tinyPhoto = async () => ({
  name: 'tiny.png',
  mimeType: 'image/png',
  buffer: await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 120, b: 40 } } }).png().toBuffer(),
});

test('a long question is limited, shows its budget near the limit, and cannot lose the answer', async ({ app, page }) => {
  const question = page.getByRole('textbox', { name: 'Question' });
  const budget = page.getByRole('status', { name: 'Question budget' });

  await test.step('the demo model on wasm, a tiny photo, a free question', async () => {
    await app.loadDemo('wasm');
    await app.dropFile(await tinyPhoto());
    await app.preset('Free question');
    await question.fill('What is this?');
    await expect(app.askButton).toBeEnabled();
    await expect(budget).toHaveCount(0);
  });

  await test.step('100,000 characters are cut to the box limit, and the question that is left cannot fit', async () => {
    await question.fill('1 '.repeat(50_000)); // digits and spaces: one token per character
    await expect.poll(async () => (await question.inputValue()).length).toBe(8192);
    await expect(page.getByText(/^The question is too long: with the image and boxes it takes \d+ tokens, and at most 8192 fit with the answer\. Shorten it by \d+ tokens or more\.$/)).toBeVisible();
    await expect(app.askButton).toBeDisabled();
    await expect(app.error).toHaveCount(0);
  });

  await test.step('near the limit the box shows how many tokens are left for the answer', async () => {
    await question.fill('1 '.repeat(4000));
    await expect(budget).toHaveText(/^\d+ tokens left for the answer \(the context holds 8192\); a longer answer is cut there\.$/);
    await expect(app.askButton).toBeEnabled();
  });

  await test.step('the answer is capped to what fits and says so; its text is kept', async () => {
    const turn = await app.ask(1024);
    await expect(turn.getByTestId('stop-note')).toContainText(/\d+ new tokens fit of the 1024 asked for/);
    await expect(app.error).toHaveCount(0);
  });
});
