// Page object for the app: locators by role/test id, and intent methods that end in web-first checks.

import { expect, type Locator, type Page } from '@playwright/test';

export interface FilePayload {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export class AppPage {
  readonly status: Locator;
  readonly statusSummary: Locator;
  readonly overlay: Locator;
  readonly frame: Locator;
  readonly error: Locator;
  readonly boxCount: Locator;
  readonly askButton: Locator;
  readonly deleteSelected: Locator;
  readonly clearBoxes: Locator;
  readonly draft: Locator;

  constructor(readonly page: Page) {
    this.status = page.getByTestId('status');
    this.statusSummary = page.getByLabel(/^Compute backends:/);
    this.overlay = page.getByTestId('overlay');
    this.frame = page.getByTestId('image-frame');
    this.error = page.getByRole('alert');
    this.boxCount = page.getByTestId('box-count');
    this.askButton = page.getByRole('button', { name: 'Ask', exact: true });
    this.deleteSelected = page.getByRole('button', { name: 'Delete selected' });
    this.clearBoxes = page.getByRole('button', { name: 'Clear boxes' });
    this.draft = page.getByTestId('draft-box');
    this.modelBadge = page.getByTestId('model-badge');
    this.proposalsStatus = page.getByTestId('proposals-status');
    this.turns = page.getByTestId('turn');
  }

  async goto(): Promise<void> {
    await this.page.goto('/');
    await expect(this.page.getByRole('heading', { name: 'Drop a photo here' })).toBeVisible();
  }

  backend(name: 'wasm' | 'webgpu'): Locator {
    return this.page.getByTestId(`backend-${name}`);
  }

  async openStatus(): Promise<void> {
    await this.statusSummary.click();
    await expect(this.status).toHaveAttribute('open', '');
  }

  readonly modelBadge: Locator;
  readonly proposalsStatus: Locator;
  readonly turns: Locator;

  /** Picks the backend the next model load runs on, on the model screen ('auto': the app's own choice). */
  async useBackend(backend: 'auto' | 'wasm' | 'webgpu'): Promise<void> {
    await this.page.getByRole('combobox', { name: 'Backend' }).selectOption(backend);
  }

  /** Loads the bundled demo model on `backend` (or the app's own choice) and waits until it is ready. */
  async loadDemo(backend: 'auto' | 'wasm' | 'webgpu' = 'auto'): Promise<void> {
    await this.useBackend(backend);
    await this.page.getByRole('button', { name: /^Try the demo model/ }).click();
    // A WebGPU (SwiftShader) load took up to ~100 s with both cores loaded (issue 14's profile: sessions, the
    // attention self-check, the warm-up question); 3× that. WASM loads in seconds.
    await expect(this.modelBadge).toHaveText(/^Demo model · (WASM|WebGPU)$/, { timeout: 300_000 });
  }

  /** Picks a task preset by its label. */
  async preset(label: string): Promise<void> {
    await this.page.getByRole('radio', { name: label, exact: true }).check();
  }

  /** Asks with the current preset and waits for the answer to finish; returns the turn. */
  async ask(maxTokens: 16 | 64 | 256 | 1024 = 16): Promise<Locator> {
    const turn = await this.startAsking(maxTokens);
    await expect(turn).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
    return turn;
  }

  /** Presses Ask with an answer length limit; returns the new turn, still streaming. */
  async startAsking(maxTokens: 16 | 64 | 256 | 1024): Promise<Locator> {
    await this.page.getByRole('combobox', { name: 'Answer length' }).selectOption(String(maxTokens));
    const before = await this.turns.count();
    await this.askButton.click();
    return this.turns.nth(before);
  }

  /** The drawn image, by its accessible name (file name and size). */
  image(name: string | RegExp): Locator {
    return this.frame.getByRole('img', { name });
  }

  /** Box `index` (the N of `<regionN>`), by its accessible name. */
  box(index: number): Locator {
    return this.overlay.getByRole('button', { name: new RegExp(`^Region ${index}:`) });
  }

  boxes(): Locator {
    return this.overlay.getByRole('button', { name: /^Region \d+:/ });
  }

  /** Drops a file on the stage the way a file manager does: dragenter, dragover, drop with a DataTransfer. */
  async dropFile(file: FilePayload): Promise<void> {
    const dataTransfer = await this.page.evaluateHandle(({ name, mimeType, base64 }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: mimeType }));
      return dt;
    }, { name: file.name, mimeType: file.mimeType, base64: file.buffer.toString('base64') });
    const stage = this.page.getByRole('region', { name: 'Image' });
    await stage.dispatchEvent('dragenter', { dataTransfer });
    await stage.dispatchEvent('dragover', { dataTransfer });
    await stage.dispatchEvent('drop', { dataTransfer });
  }

  /** Pastes a file as Ctrl/Cmd+V with a copied image does: a paste event whose clipboardData holds it. */
  async pasteFile(file: FilePayload): Promise<void> {
    await this.page.evaluate(({ name, mimeType, base64 }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: mimeType }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, { name: file.name, mimeType: file.mimeType, base64: file.buffer.toString('base64') });
  }

  async pickFile(file: FilePayload): Promise<void> {
    await this.page.getByTestId('file-input').first().setInputFiles(file);
  }

  /** Drags on the overlay from one point to another, given as fractions of the image's width and height. */
  async drag(from: [number, number], to: [number, number], modifiers: { shift?: boolean } = {}): Promise<void> {
    const box = await this.overlay.boundingBox();
    if (!box) throw new Error('the overlay is not visible');
    const at = ([fx, fy]: [number, number]): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
    if (modifiers.shift) await this.page.keyboard.down('Shift');
    await this.page.mouse.move(...at(from));
    await this.page.mouse.down();
    await this.page.mouse.move(...at(to), { steps: 8 });
    await this.page.mouse.up();
    if (modifiers.shift) await this.page.keyboard.up('Shift');
  }

  /** Clicks at a point of the image given as fractions of its size. */
  async clickAt(f: [number, number], modifiers: ('Shift' | 'Control')[] = []): Promise<void> {
    const box = await this.overlay.boundingBox();
    if (!box) throw new Error('the overlay is not visible');
    await this.overlay.click({ position: { x: f[0] * box.width, y: f[1] * box.height }, modifiers });
  }

  async drawBox(from: [number, number], to: [number, number]): Promise<void> {
    const before = await this.boxes().count();
    await this.drag(from, to);
    await expect(this.boxes()).toHaveCount(before + 1);
  }
}
