import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasShared, NO_SHARED, sharedAsset } from '../../testing/shared.ts';
import { decodeImageFile, ImageDecodeError, MAX_PIXELS, sniffImageFormat } from './decode.ts';
import { pngHeaderOnly } from './testing/png-header.ts';

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('sniffImageFormat', () => {
  it('recognises formats by their magic bytes, not their names', () => {
    expect(sniffImageFormat(bytes('\x89PNG\r\n\x1a\n\0\0\0\rIHDR'))).toBe('png');
    expect(sniffImageFormat(bytes('GIF89a\0\0\0\0\0\0\0\0\0\0'))).toBe('gif');
    expect(sniffImageFormat(bytes('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(bytes('\0\0\0\x1cftypavif\0\0\0\0'))).toBe('avif');
    expect(sniffImageFormat(bytes('\0\0\0\x18ftypheic\0\0\0\0'))).toBe('heic');
    expect(sniffImageFormat(bytes('hello, this is a text file'))).toBeNull();
    expect(sniffImageFormat(new Uint8Array(0))).toBeNull();
  });

  describe.skipIf(!hasShared)(hasShared ? 'on real COCO photos' : NO_SHARED, () => {
    it('finds JPEG', () => {
      const dir = sharedAsset('coco-val2017', 'images');
      const jpgs = readdirSync(dir).filter((f) => f.endsWith('.jpg')).slice(0, 3);
      expect(jpgs.length).toBeGreaterThan(0);
      for (const f of jpgs) expect(sniffImageFormat(new Uint8Array(readFileSync(`${dir}/${f}`)).subarray(0, 16)), f).toBe('jpeg');
    });
  });
});

describe('decodeImageFile refuses by the header, before the browser decodes', () => {
  // A decoder that must not be reached: if it is, the test sees its call (and a 'corrupt' error).
  const decoder = vi.fn(async () => {
    throw new Error('createImageBitmap was called');
  });
  beforeEach(() => {
    decoder.mockClear();
    vi.stubGlobal('createImageBitmap', decoder);
  });
  afterEach(() => vi.unstubAllGlobals());
  const file = (bytes: Uint8Array, name: string) => new File([new Uint8Array(bytes)], name, { type: 'image/png' });

  it('a 30000×30000 PNG is too large, naming its size and the limit', async () => {
    const err = await decodeImageFile(file(pngHeaderOnly(30000, 30000), 'huge.png')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err).toMatchObject({ code: 'too-large', message: `“huge.png” cannot be used: the image is 30000×30000 pixels (900.0 MP); the limit is ${(MAX_PIXELS / 1e6).toFixed(1)} MP.` });
    expect(decoder).not.toHaveBeenCalled();
  });

  it('applies the engine’s other size rules too: a 1-px side, an extreme aspect ratio', async () => {
    await expect(decodeImageFile(file(pngHeaderOnly(1, 500), 'line.png'))).rejects.toMatchObject({ code: 'too-small', message: expect.stringContaining('1×500 pixels') });
    await expect(decodeImageFile(file(pngHeaderOnly(9000, 30), 'strip.png'))).rejects.toMatchObject({ code: 'unsupported', message: expect.stringContaining('aspect ratio') });
    expect(decoder).not.toHaveBeenCalled();
  });

  it('the page’s bad-input list: a 1×10000 strip and a 30000×20 panorama, by the header', async () => {
    await expect(decodeImageFile(file(pngHeaderOnly(1, 10000), 'strip.png'))).rejects.toMatchObject({ code: 'too-small', message: expect.stringContaining('1×10000 pixels') });
    await expect(decodeImageFile(file(pngHeaderOnly(30000, 20), 'panorama.png'))).rejects.toMatchObject({ code: 'unsupported', message: expect.stringContaining('30000×20 pixels: its aspect ratio is over 200:1') });
    expect(decoder).not.toHaveBeenCalled();
  });

  it('a HEIC photo goes to the browser’s decoder (Safari has one); where it fails, the message says this browser cannot', async () => {
    const heic = new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode('ftypheic\0\0\0\0mif1heic'), ...new Uint8Array(64)]);
    const err = await decodeImageFile(new File([heic], 'IMG_0001.HEIC', { type: 'image/heic' })).catch((e: unknown) => e);
    expect(decoder).toHaveBeenCalledOnce();
    expect(err).toMatchObject({ code: 'unsupported', message: '“IMG_0001.HEIC” is a HEIC photo, which is not supported by this browser. Export it as JPEG first (or open it in Safari).' });
  });

  it('a header of an acceptable size goes on to the decoder', async () => {
    const err = await decodeImageFile(file(pngHeaderOnly(640, 480), 'ok.png')).catch((e: unknown) => e);
    expect(decoder).toHaveBeenCalledOnce();
    expect(err).toMatchObject({ code: 'corrupt' }); // no pixel data behind the header
  });
});
