// Node decoding with sharp (libvips), matching PIL's `Image.open(f).convert('RGB')` as the reference
// loads photos (docs/model.md "Image loading"), except that EXIF orientation is applied: a phone photo is
// answered the way it is shown.
// - the size is checked from the header before any pixel is decoded;
// - embedded ICC profiles are ignored, as PIL's convert does (pixel values pass through unchanged);
// - alpha is dropped, not composited (PIL drops it too); grey becomes R=G=B;
// - 16-bit samples become 8-bit (high byte), CMYK goes through libvips' CMYK→sRGB conversion.
import sharp from 'sharp';
import { isHeic, readImageHeader } from './image-header.ts';
import { looksLikeSvg, SVG_REFUSED } from './svg.ts';
import { checkImageSize, ImageError, MAX_IMAGE_PIXELS, rgbImage, type DecodeOptions, type RgbImage } from './rgb-image.ts';

/** Decodes encoded image bytes (JPEG, PNG, WebP, GIF, TIFF, AVIF…) to 8-bit RGB; throws ImageError. */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  if (bytes.length === 0) throw new ImageError('not-an-image', 'the file is empty');
  if (looksLikeSvg(bytes)) throw new ImageError('unsupported', SVG_REFUSED); // as the page refuses it
  // Our own header read first: it sees sizes (0×0, 30000×30000) that libvips refuses with vaguer messages.
  const header = readImageHeader(bytes);
  if (header) checkImageSize(header.width, header.height, maxPixels);
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata().catch((e: unknown) => {
    // sharp's own libheif reads AVIF only: a HEIC photo fails as "unsupported image format".
    if (isHeic(bytes)) throw new ImageError('unsupported', 'the file is a HEIC photo, which this decoder cannot read (sharp has no HEVC); export it as JPEG first');
    throw decodeFailure(e);
  });
  checkImageSize(meta.width ?? 0, meta.height ?? 0, maxPixels);

  const { data, info } = await sharp(bytes, { autoOrient: true, ignoreIcc: true, failOn: 'error', limitInputPixels: maxPixels })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .catch((e: unknown) => {
      throw decodeFailure(e);
    });
  if (info.channels !== 3) throw new ImageError('unsupported', `decoding gave ${info.channels} channels, not RGB`);
  return rgbImage(info.width, info.height, new Uint8Array(data.buffer, data.byteOffset, data.length));
}

/** Maps a libvips/sharp failure onto an ImageError by its message (sharp has no error codes). */
function decodeFailure(e: unknown): ImageError {
  const detail = e instanceof Error ? e.message.split('\n')[0] : String(e);
  if (/unsupported image format|bad seek|no image/i.test(detail)) {
    return new ImageError('not-an-image', 'the file is not an image in a known format (JPEG, PNG, WebP, GIF, TIFF, AVIF)');
  }
  if (/premature end|truncat|unexpected end|end of (file|stream)|EOF|not enough data/i.test(detail)) {
    return new ImageError('truncated', `the image file is truncated (its data ends early): ${detail}`);
  }
  return new ImageError('corrupt', `the image could not be decoded: ${detail}`);
}
