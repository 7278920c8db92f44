// Class-agnostic box proposals from a YOLOX detector (shared/README.md "YOLOX-nano I/O"): letterbox,
// run, decode the grid, score = objectness × best class score (as the reference proposals were scored),
// threshold, class-agnostic NMS, keep the best `maxDetections`, boxes in original pixels clipped to
// the image. The ONNX session is injected so the same code runs on onnxruntime-web in a worker and in
// Node tests.
import type { RgbImage } from '../image/rgb-image.ts';
import type { PixelBox } from '../../model-folder/boxes.ts';
import type { DetectorManifest } from './detector-manifest.ts';
import { letterbox, toBgrChw } from './letterbox.ts';
import { nms } from './nms.ts';

/** What this module needs of an ORT tensor; onnxruntime's Tensor satisfies it. */
export interface TensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** What this module needs of an ORT InferenceSession. */
export interface SessionLike<T extends TensorLike> {
  run(feeds: Record<string, T>): Promise<Record<string, T>>;
}

/** Builds a float32 tensor of the session's own ORT instance (e.g. `(d, s) => new ort.Tensor('float32', d, s)`). */
export type Float32TensorFactory<T extends TensorLike> = (data: Float32Array, dims: readonly number[]) => T;

export interface Proposal {
  box: PixelBox; // original image pixels
  score: number;
}

export interface Candidates {
  boxes: PixelBox[]; // letterbox pixels ÷ ratio = original pixels, not clipped
  scores: number[];
}

/** Network rows above the threshold. `output` is (1, Σ (S/s)², 5 + classes): tx, ty, tw, th, obj, classes. */
export function decodeYolox(output: Float32Array, manifest: DetectorManifest, ratio: number): Candidates {
  const cols = 5 + manifest.numClasses;
  const rows = manifest.strides.reduce((n, s) => n + (manifest.inputSize / s) ** 2, 0);
  if (output.length !== rows * cols) throw new Error(`YOLOX output has ${output.length} values, expected ${rows}×${cols}`);
  const boxes: PixelBox[] = [];
  const scores: number[] = [];
  let row = 0;
  for (const stride of manifest.strides) {
    const n = manifest.inputSize / stride;
    for (let gy = 0; gy < n; gy++) {
      for (let gx = 0; gx < n; gx++, row++) {
        const o = row * cols;
        let best = 0;
        for (let c = 5; c < cols; c++) if (output[o + c] > best) best = output[o + c];
        const score = output[o + 4] * best;
        if (!(score > manifest.scoreThreshold)) continue;
        const cx = (output[o] + gx) * stride;
        const cy = (output[o + 1] + gy) * stride;
        const w = Math.exp(output[o + 2]) * stride;
        const h = Math.exp(output[o + 3]) * stride;
        boxes.push({ x1: (cx - w / 2) / ratio, y1: (cy - h / 2) / ratio, x2: (cx + w / 2) / ratio, y2: (cy + h / 2) / ratio });
        scores.push(score);
      }
    }
  }
  return { boxes, scores };
}

/**
 * NMS, top-k, then clip to the image. A box left with no width or height (one that lay in the letterbox
 * padding, e.g. [x1, 480, x2, 480]) is dropped: the engine would refuse it as the person's box.
 */
export function selectProposals(c: Candidates, manifest: DetectorManifest, width: number, height: number): Proposal[] {
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return nms(c.boxes, c.scores, manifest.nmsIou, manifest.maxDetections)
    .map((i) => {
      const b = c.boxes[i];
      return { box: { x1: clip(b.x1, width), y1: clip(b.y1, height), x2: clip(b.x2, width), y2: clip(b.y2, height) }, score: c.scores[i] };
    })
    .filter(({ box }) => box.x2 > box.x1 && box.y2 > box.y1);
}

export class YoloxProposer<T extends TensorLike> {
  constructor(
    private readonly session: SessionLike<T>,
    readonly manifest: DetectorManifest,
    private readonly tensor: Float32TensorFactory<T>,
  ) {}

  /** The raw network output for an already letterboxed S×S RGB image: (1, rows, 5 + classes). */
  async runLetterboxed(input: RgbImage): Promise<Float32Array> {
    const S = this.manifest.inputSize;
    if (input.width !== S || input.height !== S) throw new Error(`detector input must be ${S}×${S}, got ${input.width}×${input.height}`);
    const outputs = await this.session.run({ [this.manifest.inputName]: this.tensor(toBgrChw(input), [1, 3, S, S]) });
    const out = outputs[this.manifest.outputName];
    if (!out) throw new Error(`detector produced no "${this.manifest.outputName}" output (got ${Object.keys(outputs).join(', ')})`);
    if (!(out.data instanceof Float32Array)) throw new Error(`detector output "${this.manifest.outputName}" is not float32`);
    return out.data;
  }

  /** Proposals for a photo, best first, in its pixels. */
  async propose(img: RgbImage): Promise<Proposal[]> {
    const { image, ratio } = letterbox(img, this.manifest.inputSize);
    const raw = await this.runLetterboxed(image);
    return selectProposals(decodeYolox(raw, this.manifest, ratio), this.manifest, img.width, img.height);
  }
}
