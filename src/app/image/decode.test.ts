import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, NO_SHARED, sharedAsset } from '../../testing/shared.ts';
import { sniffImageFormat } from './decode.ts';

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
