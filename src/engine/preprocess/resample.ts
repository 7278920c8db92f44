// PIL-exact image resizing in pure TypeScript: Pillow's `Image.resize(size, BICUBIC | BILINEAR)` for
// 8-bit images, as the reference preprocessing calls it (docs/model-format.md, Preprocessing; transformers'
// `resize` hands uint8 images to PIL). Follows Pillow src/libImaging/Resample.c:
// - separable filters, horizontal pass first, then vertical;
// - the filter support is widened by the downscale factor (antialiasing), taps normalized to sum 1;
// - taps are fixed-point (22 fractional bits, rounded away from zero), and each pass rounds its result
//   to uint8 with clipping, so the intermediate image is 8-bit too.
import { rgbImage, type RgbImage } from '../image/rgb-image.ts';

export type ResampleFilter = 'bicubic' | 'bilinear';

interface FilterDef {
  support: number;
  weight: (x: number) => number;
}

const FILTERS: Record<ResampleFilter, FilterDef> = {
  // Keys' cubic convolution with a = −0.5 (Resample.c bicubic_filter).
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  bilinear: {
    support: 1,
    weight: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
};

const PRECISION_BITS = 32 - 8 - 2;

/** Taps of one resampling axis: output i reads input [start[i], start[i] + count[i]) with weights[i * ksize + j]. */
export interface AxisCoefficients {
  ksize: number;
  start: Int32Array; // (out,)
  count: Int32Array; // (out,)
  weights: Int32Array; // (out, ksize), fixed point with PRECISION_BITS fraction bits
}

/** Resample.c precompute_coeffs + normalize_coeffs_8bpc for inSize → outSize. */
export function axisCoefficients(inSize: number, outSize: number, filter: ResampleFilter): AxisCoefficients {
  const { support: baseSupport, weight } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const taps = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // C casts with (int), i.e. truncation toward zero, and then clamps.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      taps[j] = weight((j + xmin - center + 0.5) * ss);
      sum += taps[j];
    }
    for (let j = 0; j < n; j++) {
      const w = sum !== 0 ? taps[j] / sum : taps[j];
      weights[i * ksize + j] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    start[i] = xmin;
    count[i] = n;
  }
  return { ksize, start, count, weights };
}

/** Fixed-point accumulator → uint8, as Resample.c clip8 (arithmetic shift, then clamp). */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resizes like PIL `img.resize((width, height), filter)`; a pass whose size does not change is skipped, as in PIL. */
export function resizeRgb(img: RgbImage, width: number, height: number, filter: ResampleFilter): RgbImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`resize target must be positive integers, got ${width}×${height}`);
  }
  let out = img;
  if (width !== img.width) out = resizeHorizontal(out, width, axisCoefficients(img.width, width, filter));
  if (height !== img.height) out = resizeVertical(out, height, axisCoefficients(img.height, height, filter));
  return out === img ? rgbImage(img.width, img.height, img.data.slice()) : out;
}

function resizeHorizontal(img: RgbImage, width: number, c: AxisCoefficients): RgbImage {
  const { data: src, width: inW, height } = img;
  const dst = new Uint8Array(width * height * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < height; y++) {
    const row = y * inW * 3;
    for (let x = 0; x < width; x++) {
      const k0 = x * c.ksize;
      const n = c.count[x];
      let p = row + c.start[x] * 3;
      let r = half;
      let g = half;
      let b = half;
      for (let j = 0; j < n; j++, p += 3) {
        const w = c.weights[k0 + j];
        r += src[p] * w;
        g += src[p + 1] * w;
        b += src[p + 2] * w;
      }
      const o = (y * width + x) * 3;
      dst[o] = clip8(r);
      dst[o + 1] = clip8(g);
      dst[o + 2] = clip8(b);
    }
  }
  return rgbImage(width, height, dst);
}

function resizeVertical(img: RgbImage, height: number, c: AxisCoefficients): RgbImage {
  const { data: src, width } = img;
  const stride = width * 3;
  const dst = new Uint8Array(stride * height);
  const acc = new Float64Array(stride);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < height; y++) {
    // Row-at-a-time accumulation keeps reads sequential; the sums are exact integers in float64.
    acc.fill(half);
    const k0 = y * c.ksize;
    for (let j = 0; j < c.count[y]; j++) {
      const w = c.weights[k0 + j];
      const row = (c.start[y] + j) * stride;
      for (let i = 0; i < stride; i++) acc[i] += src[row + i] * w;
    }
    const o = y * stride;
    for (let i = 0; i < stride; i++) dst[o + i] = clip8(acc[i]);
  }
  return rgbImage(width, height, dst);
}
