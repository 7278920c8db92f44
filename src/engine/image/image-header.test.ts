import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readImageHeader } from './image-header.ts';

const W = 37;
const H = 23;
const pixels = new Uint8Array(W * H * 3).map((_, i) => (i * 7) % 256);
const base = () => sharp(pixels, { raw: { width: W, height: H, channels: 3 } });

describe('readImageHeader', () => {
  it.each([
    ['png', () => base().png().toBuffer()],
    ['jpeg', () => base().jpeg().toBuffer()],
    ['jpeg', () => base().withMetadata({ orientation: 3 }).jpeg({ progressive: true }).toBuffer()],
    ['gif', () => base().gif().toBuffer()],
    ['webp', () => base().webp({ quality: 80 }).toBuffer()],
    ['webp', () => base().webp({ lossless: true }).toBuffer()],
    ['webp', () => base().ensureAlpha(0.5).webp({ quality: 80 }).toBuffer()],
  ] as const)('reads the size of a %s file', async (format, encode) => {
    expect(readImageHeader(await encode())).toEqual({ format, width: W, height: H });
  });

  it('returns null for other bytes and for a header cut short', async () => {
    expect(readImageHeader(new TextEncoder().encode('not an image at all, just text'))).toBeNull();
    const jpeg = await base().jpeg().toBuffer();
    expect(readImageHeader(jpeg.subarray(0, 30))).toBeNull();
  });
});
