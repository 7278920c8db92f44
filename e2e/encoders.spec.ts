// On wasm the vision encoders' int4 Linears run as int8 (src/engine/encoders/int8-linears.ts) unless the
// address says `?encoders=int4`, the knob for a checkpoint whose answers the int8 activations spoil
// (src/app/model/actions.ts encodersParam). The status panel's sessions say which ran; a bad value is refused
// by name and the model screen stays usable.
import { expect, test } from './fixtures.ts';
import type { AppPage } from './pages/AppPage.ts';

/** The reason the status panel gives for the vision_semantic session after loading the demo on wasm. */
async function visionReason(app: AppPage, path: string): Promise<string> {
  await app.page.goto(path);
  await app.loadDemo('wasm');
  await app.openStatus();
  const vit = app.page.getByTestId('sessions').getByRole('listitem').filter({ hasText: 'vision_semantic' });
  await expect(vit).toHaveAttribute('data-backend', 'wasm');
  const text = (await vit.textContent()) ?? '';
  await app.statusSummary.click();
  return text;
}

test('the encoders run int8 on wasm by default, int4 with ?encoders=int4, and a bad value is refused', async ({ app, page }) => {
  test.setTimeout(240_000); // 59 s measured here: two demo loads on wasm
  expect(await visionReason(app, '/')).toMatch(/its \d+ int4 Linears run as int8/);
  expect(await visionReason(app, '/?encoders=int4')).not.toContain('run as int8');

  await page.goto('/?encoders=int2');
  await page.getByRole('button', { name: /^Try the demo model/ }).click();
  await expect(app.error).toContainText('?encoders= must be int8 or int4 (got "int2")');
  await expect(page.getByRole('button', { name: /^Try the demo model/ })).toBeEnabled();
});
