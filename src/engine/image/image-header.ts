// Reads the pixel size from the first bytes of an image file without decoding it, so that a huge
// picture is refused before any decoder allocates its pixels (browsers offer no such check).
// Covers the formats people drop: PNG, JPEG, GIF, WebP, BMP. Anything else returns null.

export type HeaderFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

export interface ImageHeader {
  format: HeaderFormat;
  width: number;
  height: number;
}

/** How much of a file readBlobHeader reads: enough for the JPEG segments (EXIF, ICC) that may precede the frame header. */
export const HEADER_BYTES = 65536;

/** readImageHeader on the first HEADER_BYTES of a file (browser or Node Blob): reads those bytes, decodes nothing. */
export async function readBlobHeader(blob: Blob): Promise<ImageHeader | null> {
  return readImageHeader(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer()));
}

/** The format and stored size (before EXIF rotation), or null when the bytes are not one of HeaderFormat or end too early. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (offset: number, ascii: string) =>
    bytes.length >= offset + ascii.length && [...ascii].every((ch, i) => bytes[offset + i] === ch.charCodeAt(0));
  if (bytes.length >= 24 && bytes[0] === 0x89 && has(1, 'PNG') && has(12, 'IHDR')) {
    return { format: 'png', width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegSize(bytes, v);
  if ((has(0, 'GIF87a') || has(0, 'GIF89a')) && bytes.length >= 10) {
    return { format: 'gif', width: v.getUint16(6, true), height: v.getUint16(8, true) };
  }
  if (has(0, 'RIFF') && has(8, 'WEBP')) return webpSize(bytes, v);
  if (has(0, 'BM') && bytes.length >= 26) {
    return { format: 'bmp', width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) };
  }
  return null;
}

/** HEIF brands of HEVC-coded photos (ISO/IEC 23008-12 §B.4; what phones save as .heic), not AVIF's. */
const HEIC_BRANDS: readonly string[] = ['heic', 'heix', 'hevc', 'mif1', 'msf1'];

/** Whether the bytes start with an ISO-BMFF 'ftyp' box of a HEIC brand (decoders without HEVC cannot read it). */
export function isHeic(bytes: Uint8Array): boolean {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  return bytes.length >= 12 && ascii(4, 8) === 'ftyp' && HEIC_BRANDS.includes(ascii(8, 12));
}

/** Walks the JPEG marker segments up to the first SOFn frame header (ITU T.81 §B.2). */
function jpegSize(bytes: Uint8Array, v: DataView): ImageHeader | null {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return null;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2; // markers without a length
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (p + 9 > bytes.length) return null;
      return { format: 'jpeg', height: v.getUint16(p + 5), width: v.getUint16(p + 7) };
    }
    p += 2 + v.getUint16(p + 2);
  }
  return null;
}

/** WebP: lossy 'VP8 ', lossless 'VP8L' or extended 'VP8X' first chunk (RFC 9649). */
function webpSize(bytes: Uint8Array, v: DataView): ImageHeader | null {
  if (bytes.length < 30) return null;
  const chunk = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (chunk === 'VP8 ') {
    return { format: 'webp', width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const b = v.getUint32(21, true);
    return { format: 'webp', width: (b & 0x3fff) + 1, height: ((b >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    const u24 = (o: number) => bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16);
    return { format: 'webp', width: u24(24) + 1, height: u24(27) + 1 };
  }
  return null;
}
