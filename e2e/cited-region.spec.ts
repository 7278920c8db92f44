// A streamed answer lights up the region it cites, with an answer known in advance: the demo
// model's random weights never emit `<regionN>`, so this runs the scripted test fixture
// (fixtures/scripted.ts: weights constructed so that greedy decoding always answers
// `<ground>person</ground><objects><region0></objects>`). Its folder is converted into the OS temp folder
// and served at /models/scripted/ through the page's routes, loaded by URL on the model screen like any
// hosted model; it is never in dist/ or the app's model list. On a real COCO photo with YOLOX-nano's
// proposals: click box 0, ask, and the answer's chip, box 0's citation and the chip ↔ box hover must follow.
import type { Page, TestInfo } from '@playwright/test';
import sharp from 'sharp';
import { scriptedModel } from '../fixtures/scripted-model.ts';
import { SCRIPTED_ANSWER, SCRIPTED_LABEL } from '../fixtures/scripted.ts';
import { cocoPhoto, expect, requireShared, serveFolder, test } from './fixtures.ts';

const BACKEND_NAMES = { wasm: 'WASM', webgpu: 'WebGPU' } as const;

let modelDir = '';

test.beforeAll(async () => {
  test.setTimeout(180_000);
  modelDir = (await scriptedModel()).dir;
});

/** A full-page screenshot kept under the test's output folder and attached to its report. */
async function attachScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`scripted model on ${backend}: the region a streamed answer cites lights up on the photo`, async ({ app, page }, testInfo) => {
    requireShared(); // the photo and the proposal detector come from ../shared
    // WebGPU here is SwiftShader: the scripted answer is ~16 tokens and each costs one lm_head run of 7-20 s
    // on a loaded 2-core machine (issue 14), so the whole answer took up to ~320 s there; the waits below
    // and this timeout leave about 3× that on WebGPU. The WASM run answers in seconds.
    test.setTimeout(backend === 'webgpu' ? 1_200_000 : 300_000);

    await test.step('load the scripted fixture by URL on the forced backend', async () => {
      const url = await serveFolder(page, '/models/scripted/', modelDir);
      await page.getByRole('textbox', { name: 'Model folder URL' }).fill(url);
      await page.getByRole('button', { name: 'Check size' }).click();
      await app.useBackend(backend);
      await page.getByRole('button', { name: /^Download [\d.]+ MB and load$/ }).click();
      await expect(app.modelBadge).toHaveText(new RegExp(` · ${BACKEND_NAMES[backend]}$`), { timeout: 300_000 }); // as AppPage.loadDemo
    });

    await test.step('drop a COCO photo: proposals are drawn', async () => {
      // WebGPU here is SwiftShader (CPU-emulated): the photo at 192 px wide keeps the prefill short (24 image tokens).
      const photo = cocoPhoto(0);
      await app.dropFile(backend === 'wasm' ? photo : { ...photo, buffer: await sharp(photo.buffer).resize({ width: 192 }).jpeg().toBuffer() });
      await expect(app.proposalsStatus).toContainText(/Show \d+ of \d+ proposals/, { timeout: 120_000 });
      await expect(app.box(0)).toBeVisible();
      await expect(app.overlay.locator('[data-cited]')).toHaveCount(0);
      await attachScreenshot(page, testInfo, `${backend}-1-proposals`);
    });

    const turn = await test.step('select box 0 and ask: the grounded answer streams in', async () => {
      await app.selectBox(0);
      await app.preset('Describe region (brief)');
      await expect(page.getByRole('button', { name: 'Region 0 (remove from the question)' })).toBeVisible();
      const turn = await app.startAsking(64);
      await expect(turn).toHaveAttribute('data-status', 'done', { timeout: backend === 'webgpu' ? 900_000 : 240_000 });
      await expect(turn.getByTestId('answer-text')).toHaveText(SCRIPTED_ANSWER);
      await expect(turn.getByTestId('timings')).toContainText(BACKEND_NAMES[backend]);
      testInfo.annotations.push({ type: 'performance', description: `${backend}: ${await turn.getByTestId('timings').textContent()}` });
      return turn;
    });

    await test.step('the answer cites region 0: a chip, and box 0 drawn as cited with its label', async () => {
      const chip = turn.getByRole('button', { name: `Cited: ${SCRIPTED_LABEL} · region 0` });
      await expect(chip).toBeVisible();
      await expect(turn.getByTestId('cited').getByRole('button')).toHaveCount(1);
      await expect(app.box(0)).toHaveAttribute('data-cited', 'true');
      await expect(app.box(0)).toHaveAccessibleName(new RegExp(`, cited as ${SCRIPTED_LABEL}$`));
      await expect(app.box(0)).toContainText(`0 · ${SCRIPTED_LABEL}`); // the badge caption
      await expect(app.overlay.locator('[data-cited]')).toHaveCount(1);
      await attachScreenshot(page, testInfo, `${backend}-2-cited`);
    });

    await test.step('hovering the chip highlights box 0; with only cited boxes shown, hovering box 0 highlights the chip', async () => {
      const chip = turn.getByRole('button', { name: `Cited: ${SCRIPTED_LABEL} · region 0` });
      await chip.hover();
      await expect(app.box(0)).toHaveAttribute('data-hovered', 'true');
      await expect(app.overlay.locator('[data-hovered]')).toHaveCount(1);
      await attachScreenshot(page, testInfo, `${backend}-3-chip-hovered`);
      await page.mouse.move(0, 0);
      await expect(app.box(0)).not.toHaveAttribute('data-hovered');

      await page.getByRole('checkbox', { name: 'Show only cited boxes' }).check();
      await expect(app.boxes()).toHaveCount(1);
      await app.box(0).hover();
      await expect(chip).toHaveAttribute('data-hovered', 'true');
      await attachScreenshot(page, testInfo, `${backend}-4-only-cited`);
    });
  });
}
