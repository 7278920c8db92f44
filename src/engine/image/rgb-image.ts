// The decoded picture every engine stage works on, and the size rules every decoder enforces.
// PIL's `Image.open(path).convert('RGB')` (docs/model-format.md, Preprocessing step 1) is the behaviour decoders imitate:
// 8-bit RGB, alpha dropped (not composited), no colour management.

/** 8-bit RGB pixels, row-major, 3 bytes per pixel: data[(y * width + x) * 3 + c]. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array; // (H, W, 3)
}

export type ImageErrorCode =
  | 'not-an-image' // no known image format
  | 'truncated' // a known format whose data ends early
  | 'corrupt' // a known format that fails to decode for another reason
  | 'too-small' // 0×0, or a side under MIN_IMAGE_SIDE
  | 'too-large' // over MAX_IMAGE_PIXELS
  | 'unsupported'; // decodable, but not something the model can take (aspect ratio)

/** A picture the engine cannot use; `code` says why, `message` says it to a person. */
export class ImageError extends Error {
  override readonly name = 'ImageError';

  constructor(readonly code: ImageErrorCode, message: string) {
    super(message);
  }
}

/** Refused above this many pixels, before full decode: 100 MP of RGB is already 300 MB. */
export const MAX_IMAGE_PIXELS = 100_000_000;
/** A side of 1 px carries no spatial content; sides from 2 to 27 are upscaled to 28 like the reference. */
export const MIN_IMAGE_SIDE = 2;
/** Qwen's smart_resize raises above this ratio of long to short side (Qwen2VLImageProcessor). */
export const MAX_ASPECT_RATIO = 200;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default MAX_IMAGE_PIXELS). */
  maxPixels?: number;
}

/** Throws the ImageError for a width × height no decoder should go on with. */
export function checkImageSize(width: number, height: number, maxPixels = MAX_IMAGE_PIXELS): void {
  if (!(width > 0 && height > 0)) {
    throw new ImageError('too-small', `the image is ${width}×${height} pixels: it has no pixels to look at`);
  }
  if (width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE) {
    throw new ImageError('too-small', `the image is ${width}×${height} pixels; each side must be at least ${MIN_IMAGE_SIDE} px`);
  }
  if (width * height > maxPixels) {
    const mp = (n: number) => `${(n / 1e6).toFixed(1)} MP`;
    throw new ImageError('too-large', `the image is ${width}×${height} pixels (${mp(width * height)}); the limit is ${mp(maxPixels)}`);
  }
  if (Math.max(width, height) / Math.min(width, height) > MAX_ASPECT_RATIO) {
    throw new ImageError('unsupported', `the image is ${width}×${height} pixels: its aspect ratio is over ${MAX_ASPECT_RATIO}:1, which the vision encoder refuses`);
  }
}

/** Checks that `data` holds exactly width × height RGB pixels. */
export function rgbImage(width: number, height: number, data: Uint8Array): RgbImage {
  if (data.length !== width * height * 3) {
    throw new Error(`RGB data has ${data.length} bytes, expected ${width}×${height}×3 = ${width * height * 3}`);
  }
  return { width, height, data };
}

/** (H, W, 4) RGBA → (H, W, 3) RGB, alpha dropped. */
export function rgbaToRgb(width: number, height: number, rgba: Uint8ClampedArray | Uint8Array): RgbImage {
  const n = width * height;
  if (rgba.length !== n * 4) throw new Error(`RGBA data has ${rgba.length} bytes, expected ${width}×${height}×4`);
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = rgba[i * 4];
    rgb[i * 3 + 1] = rgba[i * 4 + 1];
    rgb[i * 3 + 2] = rgba[i * 4 + 2];
  }
  return rgbImage(width, height, rgb);
}
