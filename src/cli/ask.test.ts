// `npm run ask` through its real entry point (tsx src/cli/ask.ts), as a person runs it (issue 15): every
// bad option or file exits 2 naming it, before the model loads (no "compiling" line: the load never began),
// and nothing a person can type reports `[internal]`. Two cases load the tiny model with a short context
// length: a question that cannot fit is a bad-input error with the counts, and an answer asked to be longer
// than fits is capped and ends "context full" with its text printed.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relaxedSimdNodeFlags } from '../engine/decode/int4/node-flags.ts';
import { atDetail, detailImageTokens } from '../engine/preprocess/detail.ts';
import { fo1ImageProcessing } from '../model-folder/image.ts';
import { hasShared, NO_SHARED, repoRoot } from '../testing/shared.ts';
import { tinyModel } from '../engine/testing/tiny-model.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The entry point as `npm run ask` runs it, in one process: tsx as a loader, the relaxed-SIMD flags given so it need not relaunch itself. */
function ask(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...relaxedSimdNodeFlags(), '--import', 'tsx', join(repoRoot, 'src/cli/ask.ts'), ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!hasShared)(hasShared ? 'npm run ask: bad input' : NO_SHARED, () => {
  let dir: string;
  let model: string;
  let photo: string;
  const base = () => ['--model', model, '--image', photo];

  beforeAll(async () => {
    model = (await tinyModel()).dir;
    dir = await mkdtemp(join(tmpdir(), 'fo1-ask-'));
    photo = join(dir, 'photo.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 140, b: 60 } } }).png().toFile(photo);
    await writeFile(join(dir, 'notes.jpg'), 'a text file with a photo name\n');
    await writeFile(join(dir, 'drawing.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48"/></svg>');
    await writeFile(join(dir, 'broken.json'), '[[1, 2, 3, 4], [5');
    await writeFile(join(dir, 'detector.txt'), 'not a detector\n');
    await mkdir(join(dir, 'folder'));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // [what, arguments, the stderr it must show]
  const cases: [string, () => string[], RegExp][] = [
    ['three numbers as a box', () => [...base(), '--boxes', '1,2,3', '--prompt', 'hi'], /--boxes box 0 "1,2,3": expected four numbers/],
    ['--max-tokens 0', () => [...base(), '--max-tokens', '0', '--prompt', 'hi'], /--max-tokens 0: expected a whole number ≥ 1/],
    ['--max-tokens -1', () => [...base(), '--max-tokens=-1', '--prompt', 'hi'], /--max-tokens -1: expected a whole number ≥ 1/],
    ['--max-tokens 2.5', () => [...base(), '--max-tokens', '2.5', '--prompt', 'hi'], /--max-tokens 2.5: expected a whole number ≥ 1/],
    ['--temperature -1', () => [...base(), '--temperature=-1', '--prompt', 'hi'], /--temperature -1: temperature must be a finite number ≥ 0 \(got -1\)/],
    ['--top-p 2', () => [...base(), '--top-p', '2', '--prompt', 'hi'], /--top-p 2: topP must be in \(0, 1\] \(got 2\)/],
    ['an unknown --detail', () => [...base(), '--detail', 'ultra', '--prompt', 'hi'], /--detail ultra: expected one of reference, medium, low/],
    ['--seed x', () => [...base(), '--seed', 'x', '--prompt', 'hi'], /--seed "x": expected a number/],
    ['an unknown option', () => [...base(), '--colour', 'red'], /Unknown option '--colour'/],
    ['an unknown task', () => [...base(), '--task', 'summarise', '--prompt', 'hi'], /--task summarise: expected one of free, region-caption-brief, .* \(older names: caption-brief, /],
    ['no --prompt for a free question', () => base(), /--prompt TEXT is required for --task free/],
    ['an empty --prompt', () => [...base(), '--prompt', '  '], /--prompt is empty: --task free needs a text/],
    ['--regions ""', () => [...base(), '--boxes', '1,1,20,20', '--task', 'region-ocr', '--regions', ''], /--regions "": expected box indices like 0,2/],
    ['--regions past the boxes', () => [...base(), '--boxes', '1,1,20,20;2,2,30,30', '--task', 'ocr', '--regions', '5'], /--regions 5: there is no box 5: there are 2 boxes \(indices 0–1\)/],
    ['a region task without boxes', () => [...base(), '--task', 'region-caption-brief'], /--task region-caption-brief is about boxes, but no --boxes were given/],
    ['a missing image', () => ['--model', model, '--image', '/nope.jpg', '--prompt', 'hi'], /--image \/nope.jpg: no such file or folder/],
    ['a folder as the image', () => ['--model', model, '--image', join(dir, 'folder'), '--prompt', 'hi'], /--image .*folder: is a folder, not a file/],
    ['a text file named .jpg', () => ['--model', model, '--image', join(dir, 'notes.jpg'), '--prompt', 'hi'], /--image .*notes.jpg: .*not an image/],
    ['an SVG drawing', () => ['--model', model, '--image', join(dir, 'drawing.svg'), '--prompt', 'hi'], /--image .*drawing.svg: SVG drawings are not accepted/],
    ['a malformed boxes file', () => [...base(), '--boxes', join(dir, 'broken.json'), '--prompt', 'hi'], /--boxes .*broken.json: not valid JSON/],
    ['a missing boxes file', () => [...base(), '--boxes', join(dir, 'none.json'), '--prompt', 'hi'], /--boxes .*none.json: no such file or folder/],
    ['a text file as the detector', () => [...base(), '--detector', join(dir, 'detector.txt'), '--boxes', 'auto', '--prompt', 'hi'], /--detector .*detector.txt: not a detector.json or a YOLOX .onnx: not valid JSON/],
    ['a missing model folder', () => ['--model', '/nope', '--image', photo, '--prompt', 'hi'], /--model \/nope: no such file or folder/],
    ['a folder without model.json', () => ['--model', dir, '--image', photo, '--prompt', 'hi'], /--model .*: has no model.json: not a converted model folder/],
    ['a dtype the folder lacks', () => [...base(), '--dtype', 'q4', '--prompt', 'hi'], /--model .*: the model folder has no q4 graphs \(it has fp32\)/],
  ];

  it('refuses each bad option or file with exit 2, naming it, before the model loads; none is [internal]', async () => {
    for (const [what, args, message] of cases) {
      const run = await ask(args());
      expect(run.stderr, what).not.toMatch(/internal/);
      expect(run.stderr, what).toMatch(message);
      expect(run.stderr, `${what}: the model began to load`).not.toMatch(/compiling|warming up/);
      expect(run.code, what).toBe(2);
    }
  }, 300_000);

  describe('the context budget, on the tiny model with a 430-token context', () => {
    let short: string;
    beforeAll(async () => {
      short = join(dir, 'short-context');
      await cp(model, short, { recursive: true });
      const manifest = JSON.parse(await readFile(join(short, 'model.json'), 'utf8'));
      manifest.config.text.contextLength = 430;
      await writeFile(join(short, 'model.json'), JSON.stringify(manifest));
    });

    it('a question that cannot fit is a bad-input error with its token counts', async () => {
      const run = await ask(['--model', short, '--image', photo, '--json', '--prompt', 'why '.repeat(600)]);
      expect(run.stderr).toMatch(/\[bad-input\] the question is too long: the prompt takes \d+ tokens \(\d+ for the image, \d+ for the question, the rest fixed\) and at most 430 fit with the answer; shorten the question by at least \d+ tokens/);
      expect(run.code).toBe(1);
    }, 120_000);

    it('more new tokens than fit are capped, and the answer so far is printed with "context full"', async () => {
      const run = await ask(['--model', short, '--image', photo, '--json', '--prompt', 'what is it', '--max-tokens', '1e9']);
      expect(run.stderr).not.toMatch(/internal/);
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout) as { answer: string; stop: string; capped_new_tokens: { asked: number; allowed: number }; detail: string; image_tokens: number };
      expect(out.capped_new_tokens.asked).toBe(1e9);
      expect(out.capped_new_tokens.allowed).toBeGreaterThan(0);
      expect(out.capped_new_tokens.allowed).toBeLessThan(430);
      expect(out.stop).toBe('context-full');
      expect(out.answer.length).toBeGreaterThan(0);
      expect(out.detail).toBe('low'); // wasm's default level
      expect(out.image_tokens).toBe(detailImageTokens(64, 48, atDetail(fo1ImageProcessing('dynamic'), 'low')));
    }, 120_000);
  });
});
