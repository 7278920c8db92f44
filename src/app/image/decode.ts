// Turning a user's file into pixels, in one place so the engine's decoder can take over later. The file's
// first bytes decide what it is (a renamed .txt is not trusted because of its name), its header's pixel
// size is checked with the engine's rules before anything is decoded (a 30000×30000 PNG must not make the
// browser allocate 3.6 GB first), the browser decodes with createImageBitmap (EXIF orientation honoured),
// and every failure is an ImageDecodeError whose message names the file and what was wrong.

import { isHeic, readBlobHeader } from '../../engine/image/image-header.ts';
import { checkImageSize, ImageError } from '../../engine/image/rgb-image.ts';
import { looksLikeSvg, SVG_REFUSED } from '../../engine/image/svg.ts';

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif' | 'heic';

export type DecodeErrorCode = 'not-an-image' | 'unsupported' | 'corrupt' | 'too-large' | 'too-small' | 'empty';

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  constructor(readonly code: DecodeErrorCode, message: string) {
    super(message);
  }
}

/**
 * Above this many pixels the image is refused: the page's RGBA bitmap alone takes 4 × this many bytes, and
 * the engine's RGB copy 3 × more. Stricter than the engine's own MAX_IMAGE_PIXELS, so it never refuses what the page took.
 */
export const MAX_PIXELS = 64_000_000;

const ascii = (bytes: Uint8Array, from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));

/** The image format from a file's magic bytes (at least 16 of them), or null when it is none we know. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(bytes, 0, 4) === 'GIF8') return 'gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (ascii(bytes, 0, 2) === 'BM') return 'bmp';
  if (ascii(bytes, 4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(bytes, 8, 12))) return 'avif';
  if (isHeic(bytes)) return 'heic';
  return null;
}

export interface DecodedImage {
  bitmap: ImageBitmap;
  width: number;
  height: number;
  format: ImageFormat;
}

export async function decodeImageFile(file: File): Promise<DecodedImage> {
  const name = file.name || 'the pasted image';
  if (file.size === 0) throw new ImageDecodeError('empty', `“${name}” is empty (0 bytes).`);
  const head = new Uint8Array(await file.slice(0, 1024).arrayBuffer());
  const format = sniffImageFormat(head);
  if (!format && looksLikeSvg(head)) throw new ImageDecodeError('unsupported', `“${name}”: ${SVG_REFUSED}.`);
  // The type comes from the name (a text file renamed .jpg says image/jpeg): quoted as the name's claim only.
  if (!format) throw new ImageDecodeError('not-an-image', `“${name}” is not an image: its bytes are not a JPEG, PNG, WebP, GIF, BMP or AVIF picture${file.type ? ` (its name says ${file.type})` : ''}.`);
  const header = await readBlobHeader(file);
  if (header) checkSize(name, header.width, header.height); // AVIF, or a JPEG frame header past 64 KiB: checked after decoding
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    // Safari decodes HEIC; Chromium and Firefox do not: only the browser can say, by trying.
    if (format === 'heic') throw new ImageDecodeError('unsupported', `“${name}” is a HEIC photo, which is not supported by this browser. Export it as JPEG first (or open it in Safari).`);
    throw new ImageDecodeError('corrupt', `“${name}” looks like a ${format.toUpperCase()} but could not be decoded: the file is probably truncated or corrupt.`);
  }
  const { width, height } = bitmap;
  try {
    checkSize(name, width, height);
  } catch (e) {
    bitmap.close();
    throw e;
  }
  return { bitmap, width, height, format };
}

/** The engine's size rules (rgb-image.ts checkImageSize) under the page's pixel limit, as an ImageDecodeError naming the file. */
function checkSize(name: string, width: number, height: number): void {
  try {
    checkImageSize(width, height, MAX_PIXELS);
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    const code = e.code === 'too-large' || e.code === 'too-small' ? e.code : 'unsupported';
    throw new ImageDecodeError(code, `“${name}” cannot be used: ${e.message}.`);
  }
}
