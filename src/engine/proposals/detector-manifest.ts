// A detector is pluggable: a small manifest beside its ONNX file says how to feed it and read it.
// Only the YOLOX family exists so far (shared/README.md "YOLOX-nano I/O").

export interface DetectorManifest {
  kind: 'yolox';
  /** ONNX file name, relative to the manifest. */
  file: string;
  inputName: string;
  outputName: string;
  /** Square network input side; images are letterboxed into it. */
  inputSize: number;
  strides: number[];
  numClasses: number;
  /**
   * Proposals keep score = objectness × best class score above this, in the single-view pipeline
   * (YoloxProposer); the engine's tiled proposer uses its own (tiled.ts TiledSettings).
   */
  scoreThreshold: number;
  /** Class-agnostic NMS drops a box whose IoU with a kept one is above this (single view, as above). */
  nmsIou: number;
  maxDetections: number;
}

/** The reference proposals in shared/assets/detector/yolox-nano were made with these settings. */
export const YOLOX_NANO: DetectorManifest = {
  kind: 'yolox',
  file: 'yolox_nano.onnx',
  inputName: 'images',
  outputName: 'output',
  inputSize: 416,
  strides: [8, 16, 32],
  numClasses: 80,
  scoreThreshold: 0.01,
  nmsIou: 0.65,
  maxDetections: 100,
};

/** Checks a parsed detector.json; names the first bad field. */
export function parseDetectorManifest(json: unknown): DetectorManifest {
  if (typeof json !== 'object' || json === null) throw new Error('detector manifest: expected a JSON object');
  const m = json as Record<string, unknown>;
  if (m.kind !== 'yolox') throw new Error(`detector manifest: kind ${JSON.stringify(m.kind)} is not supported (only "yolox")`);
  const str = (k: string) => {
    if (typeof m[k] !== 'string' || m[k] === '') throw new Error(`detector manifest: "${k}" must be a non-empty string`);
    return m[k] as string;
  };
  const num = (k: string, ok: (v: number) => boolean, rule: string) => {
    const v = m[k];
    if (typeof v !== 'number' || !ok(v)) throw new Error(`detector manifest: "${k}" must be ${rule}, got ${JSON.stringify(v)}`);
    return v;
  };
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  const unit = (v: number) => v >= 0 && v <= 1;
  const strides = m.strides;
  if (!Array.isArray(strides) || strides.length === 0 || !strides.every((s) => typeof s === 'number' && posInt(s))) {
    throw new Error('detector manifest: "strides" must be a non-empty list of positive integers');
  }
  const inputSize = num('inputSize', posInt, 'a positive integer');
  for (const s of strides) if (inputSize % s !== 0) throw new Error(`detector manifest: inputSize ${inputSize} is not a multiple of stride ${s}`);
  return {
    kind: 'yolox',
    file: str('file'),
    inputName: str('inputName'),
    outputName: str('outputName'),
    inputSize,
    strides,
    numClasses: num('numClasses', posInt, 'a positive integer'),
    scoreThreshold: num('scoreThreshold', unit, 'in [0, 1]'),
    nmsIou: num('nmsIou', unit, 'in [0, 1]'),
    maxDetections: num('maxDetections', posInt, 'a positive integer'),
  };
}
