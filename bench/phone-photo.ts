// The phone-size photo the benchmarks use (issue 12): a COCO photo (640×480, 22 objects) upscaled to a phone
// camera's 4032×3024 sensor frame, as a JPEG in memory. With `orientation`, the JPEG carries that EXIF tag the
// way a phone stores a portrait shot (the pixels stay landscape; 6 means "rotate 90° clockwise to show").

import sharp from 'sharp';
import { sharedAsset } from '../src/testing/shared.ts';

export const PHONE_SOURCE = '000000520707.jpg';
export const PHONE_SIZE = { width: 4032, height: 3024 };

export function phonePhotoJpeg(orientation?: number): Promise<Buffer> {
  const img = sharp(sharedAsset('coco-val2017', 'images', PHONE_SOURCE)).resize(PHONE_SIZE.width, PHONE_SIZE.height, { fit: 'fill', kernel: 'lanczos3' });
  return (orientation ? img.withMetadata({ orientation }) : img).jpeg({ quality: 90 }).toBuffer();
}
