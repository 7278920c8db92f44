// Browser (window or worker) decoding: the same contract as decode-node.ts with the platform's decoder.
// createImageBitmap applies EXIF orientation ('from-image') and, with colorSpaceConversion 'none',
// leaves pixel values as stored, as PIL does. One difference remains: a 2-D canvas keeps premultiplied
// alpha, so fully transparent pixels read back as black where PIL keeps their stored RGB.
import { readBlobHeader } from './image-header.ts';
import { checkImageSize, ImageError, MAX_IMAGE_PIXELS, rgbaToRgb, type DecodeOptions, type RgbImage } from './rgb-image.ts';

/** Decodes an image file to 8-bit RGB; throws ImageError. */
export async function decodeImageBlob(blob: Blob, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  if (blob.size === 0) throw new ImageError('not-an-image', 'the file is empty');
  const header = await readBlobHeader(blob);
  if (header) checkImageSize(header.width, header.height, maxPixels);

  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw header
      ? new ImageError('corrupt', `the ${header.format.toUpperCase()} file could not be decoded (truncated or damaged): ${detail}`)
      : new ImageError('not-an-image', `the file is not an image this browser can decode: ${detail}`);
  }
  try {
    checkImageSize(bitmap.width, bitmap.height, maxPixels);
    return bitmapToRgb(bitmap);
  } finally {
    bitmap.close();
  }
}

/** Reads a bitmap's pixels through an OffscreenCanvas and drops alpha. */
export function bitmapToRgb(bitmap: ImageBitmap): RgbImage {
  const { width, height } = bitmap;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageError('unsupported', 'this browser offers no 2-D canvas to read image pixels');
  ctx.drawImage(bitmap, 0, 0);
  return rgbaToRgb(width, height, ctx.getImageData(0, 0, width, height).data);
}
