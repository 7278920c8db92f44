import sharp from 'sharp';
import { deflateSync, crc32 } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, NO_SHARED, sharedAsset } from '../../testing/shared.ts';
import { decodeImage } from './decode-node.ts';
import { ImageError, MAX_IMAGE_PIXELS, type ImageErrorCode } from './rgb-image.ts';

/** A deterministic (H, W, C) test pattern. */
function pattern(width: number, height: number, channels: number, max = 255): number[] {
  return Array.from({ length: width * height * channels }, (_, i) => (i * 37 + (i >> 3) * 11) % (max + 1));
}

async function rejectsWith(bytes: Uint8Array, code: ImageErrorCode, message: RegExp, maxPixels?: number): Promise<void> {
  const err = await decodeImage(bytes, { maxPixels }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageError);
  expect((err as ImageError).code).toBe(code);
  expect((err as ImageError).message).toMatch(message);
}

/** A PNG whose IHDR claims width × height, with a token IDAT: only the header is real. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', Buffer.alloc(0))]);
}

describe('decodeImage (Node, sharp)', () => {
  it('decodes an RGB PNG losslessly', async () => {
    const px = pattern(5, 4, 3);
    const png = await sharp(Uint8Array.from(px), { raw: { width: 5, height: 4, channels: 3 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect([img.width, img.height]).toEqual([5, 4]);
    expect(Array.from(img.data)).toEqual(px);
  });

  it('drops alpha without compositing, as PIL convert("RGB") does', async () => {
    const rgba = pattern(3, 2, 4);
    rgba[3] = 0; // a fully transparent pixel keeps its stored RGB
    const png = await sharp(Uint8Array.from(rgba), { raw: { width: 3, height: 2, channels: 4 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.data)).toEqual(rgba.filter((_, i) => i % 4 !== 3));
  });

  it('turns grey (with alpha) into R = G = B', async () => {
    const la = [10, 0, 20, 128, 30, 255, 40, 50];
    const png = await sharp(Uint8Array.from(la), { raw: { width: 2, height: 2, channels: 2 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.data)).toEqual([10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]);
  });

  it('reduces a 16-bit PNG to its high bytes', async () => {
    const u16 = Uint16Array.from(pattern(4, 3, 3, 65535).map((v) => (v * 1777) % 65536));
    const png = await sharp(u16, { raw: { width: 4, height: 3, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const img = await decodeImage(png);
    expect(Array.from(img.data)).toEqual(Array.from(u16, (v) => v >> 8));
  });

  it('converts a CMYK JPEG to RGB', async () => {
    const rgb = new Uint8Array(16 * 16 * 3);
    for (let i = 0; i < 16 * 16; i++) rgb.set(i < 128 ? [220, 40, 40] : [40, 40, 220], i * 3);
    const jpeg = await sharp(rgb, { raw: { width: 16, height: 16, channels: 3 } }).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(jpeg).metadata()).space).toBe('cmyk');
    const img = await decodeImage(jpeg);
    expect([img.width, img.height, img.data.length]).toEqual([16, 16, 16 * 16 * 3]);
    const top = Array.from(img.data.subarray(0, 3)); // a red pixel stays red-dominant
    const bottom = Array.from(img.data.subarray(img.data.length - 3)); // a blue one blue-dominant
    expect(top[0]).toBeGreaterThan(top[2] + 80);
    expect(bottom[2]).toBeGreaterThan(bottom[0] + 80);
  });

  it('applies EXIF orientation', async () => {
    // Stored 3 wide × 2 high; orientation 6 means "rotate 90° clockwise to display".
    const px = pattern(3, 2, 3);
    const jpegFree = await sharp(Uint8Array.from(px), { raw: { width: 3, height: 2, channels: 3 } }).png().toBuffer();
    const oriented = await sharp(jpegFree).withMetadata({ orientation: 6 }).png().toBuffer();
    const img = await decodeImage(oriented);
    expect([img.width, img.height]).toEqual([2, 3]);
    // Displayed pixel (x, y) is stored pixel (y, H−1−x) for a clockwise quarter turn.
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 2; x++) {
        const s = (((2 - 1 - x) * 3 + y) * 3);
        expect(Array.from(img.data.subarray((y * 2 + x) * 3, (y * 2 + x) * 3 + 3))).toEqual(px.slice(s, s + 3));
      }
    }
  });

  it('refuses bytes that are not an image', async () => {
    await rejectsWith(new TextEncoder().encode('hello, this is text'), 'not-an-image', /not an image/);
    await rejectsWith(new Uint8Array(0), 'not-an-image', /empty/);
  });

  it('refuses a truncated JPEG', async () => {
    const rgb = Uint8Array.from(pattern(256, 256, 3));
    const jpeg = await sharp(rgb, { raw: { width: 256, height: 256, channels: 3 } }).jpeg().toBuffer();
    await rejectsWith(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'truncated', /truncated/);
  });

  it('refuses 0×0 and 1×1 images', async () => {
    await rejectsWith(pngHeaderOnly(0, 0), 'too-small', /0×0/);
    const onePixel = await sharp(new Uint8Array([1, 2, 3]), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer();
    await rejectsWith(onePixel, 'too-small', /1×1.*at least 2 px/);
  });

  it(`refuses a 30000×30000 image from its header, above the ${MAX_IMAGE_PIXELS / 1e6} MP limit`, async () => {
    await rejectsWith(pngHeaderOnly(30000, 30000), 'too-large', /30000×30000.*limit is 100\.0 MP/);
  });

  it('applies a caller-given pixel limit to JPEGs too', async () => {
    const jpeg = await sharp(Uint8Array.from(pattern(64, 48, 3)), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    await rejectsWith(jpeg, 'too-large', /64×48/, 1000);
  });

  it('refuses an aspect ratio the vision encoder refuses', async () => {
    const strip = await sharp(new Uint8Array(402 * 2 * 3), { raw: { width: 402, height: 2, channels: 3 } }).png().toBuffer();
    await rejectsWith(strip, 'unsupported', /aspect ratio/);
  });

  // The list of awkward inputs: each decodes or is refused with its own code and message.
  it('a 1×10000 strip and a 30000×20 panorama are refused for their aspect ratio, naming their size', async () => {
    const strip = await sharp(new Uint8Array(10000 * 3), { raw: { width: 1, height: 10000, channels: 3 } }).png().toBuffer();
    await rejectsWith(strip, 'too-small', /1×10000.*at least 2 px/); // a 1-px side is refused before its ratio
    const panorama = await sharp(new Uint8Array(30000 * 20 * 3), { raw: { width: 30000, height: 20, channels: 3 } }).png().toBuffer();
    await rejectsWith(panorama, 'unsupported', /30000×20.*aspect ratio is over 200:1/);
  });

  it('an animated GIF decodes to its first frame', async () => {
    const [w, h] = [8, 6];
    const frame = (v: number) => new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : i % 4 === 0 ? v : 0));
    const frames = Buffer.concat([frame(250), frame(10), frame(120)]);
    const gif = await sharp(frames, { raw: { width: w, height: h * 3, channels: 4, pageHeight: h } }).gif({ loop: 0, delay: [100, 100, 100] }).toBuffer();
    const animated = await sharp(gif, { animated: true }).metadata();
    expect(animated.pages).toBe(3); // the test file really is animated
    const img = await decodeImage(gif);
    expect([img.width, img.height]).toEqual([w, h]);
    for (let i = 0; i < w * h; i++) expect(img.data[i * 3]).toBeGreaterThan(200); // frame 0's red, not 10 or 120
  });

  it('a HEIC photo is refused as HEIC (sharp’s libheif reads AVIF only), not as "not an image"', async () => {
    // An ISO-BMFF 'ftyp heic' box: what a phone's .heic starts with, all the sniffers look at.
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
    await rejectsWith(heic, 'unsupported', /HEIC photo, which this decoder cannot read.*export it as JPEG/);
  });

  it.skipIf(!hasShared)(hasShared ? 'EXIF orientation: all 8 orientations of a landscape and a portrait photo decode upright, alike' : NO_SHARED, async () => {
    // exif-orientation/{Landscape,Portrait}_N.jpg: the same picture stored transformed, with orientation N
    // saying how to undo it (_0 has no EXIF). Upright, each matches _1 up to JPEG re-encoding (mean |Δ| ≤ 3.7
    // here); a wrong turn or mirror is far off (mirrored: 43–74).
    const mirrored = (img: { width: number; height: number; data: Uint8Array }) => {
      const out = new Uint8Array(img.data.length);
      for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) out.set(img.data.subarray((y * img.width + img.width - 1 - x) * 3, (y * img.width + img.width - x) * 3), (y * img.width + x) * 3);
      return out;
    };
    const meanAbs = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;
    for (const [kind, size] of [['Landscape', [1800, 1200]], ['Portrait', [1200, 1800]]] as const) {
      const upright = await decodeImage(readFileSync(sharedAsset('exif-orientation', `${kind}_1.jpg`)));
      expect(meanAbs(mirrored(upright), upright.data)).toBeGreaterThan(20);
      for (let n = 0; n <= 8; n++) {
        const img = await decodeImage(readFileSync(sharedAsset('exif-orientation', `${kind}_${n}.jpg`)));
        expect([img.width, img.height], `${kind}_${n}`).toEqual(size);
        expect(meanAbs(img.data, upright.data), `${kind}_${n}`).toBeLessThan(8);
      }
    }
  }, 60_000);

  it.skipIf(!hasShared)(hasShared ? 'decodes a real COCO photo' : NO_SHARED, async () => {
    const img = await decodeImage(readFileSync(sharedAsset('coco-val2017', 'images', '000000555009.jpg')));
    expect([img.width, img.height]).toEqual([500, 375]);
  });
});
