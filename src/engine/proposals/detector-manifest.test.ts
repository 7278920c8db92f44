import { describe, expect, it } from 'vitest';
import { parseDetectorManifest, YOLOX_NANO } from './detector-manifest.ts';
import { decodeYolox, selectProposals } from './yolox.ts';

describe('parseDetectorManifest', () => {
  it('round-trips the YOLOX-nano manifest through JSON', () => {
    expect(parseDetectorManifest(JSON.parse(JSON.stringify(YOLOX_NANO)))).toEqual(YOLOX_NANO);
  });

  it.each([
    [{ ...YOLOX_NANO, kind: 'detr' }, /kind "detr" is not supported/],
    [{ ...YOLOX_NANO, file: '' }, /"file" must be a non-empty string/],
    [{ ...YOLOX_NANO, nmsIou: 1.5 }, /"nmsIou" must be in \[0, 1\]/],
    [{ ...YOLOX_NANO, inputSize: 410 }, /not a multiple of stride 8/],
    [{ ...YOLOX_NANO, strides: [] }, /"strides"/],
    [null, /JSON object/],
  ])('refuses a bad manifest (%#)', (json, message) => {
    expect(() => parseDetectorManifest(json)).toThrow(message);
  });
});

describe('decodeYolox + selectProposals', () => {
  // A 32×32 input with strides 16 and 32: rows 0–3 are the 2×2 stride-16 grid, row 4 the 1×1 stride-32 cell.
  const manifest = { ...YOLOX_NANO, inputSize: 32, strides: [16, 32], numClasses: 2, scoreThreshold: 0.1 };
  const row = (tx: number, ty: number, tw: number, th: number, obj: number, c0: number, c1: number) => [tx, ty, tw, th, obj, c0, c1];
  const output = Float32Array.from([
    ...row(0, 0, 0, 0, 0.05, 0.9, 0.9), // score 0.045: below threshold
    ...row(0.5, 0.5, 0, 0, 0.8, 0.2, 0.5), // cell (1, 0), stride 16: centre (24, 8), 16×16, score 0.4
    ...row(0, 0, 0, 0, 0, 0, 0),
    ...row(0, 0, 0, 0, 0, 0, 0),
    ...row(0.5, 0.5, Math.log(2), 0, 0.9, 1, 0), // stride 32: centre (16, 16), 64×32, score 0.9
  ]);

  it('decodes grid cells, strides and score = objectness × best class, in original pixels', () => {
    const c = decodeYolox(output, manifest, 0.5);
    expect(c.scores.map((s) => Math.fround(s))).toEqual([Math.fround(0.8 * 0.5), Math.fround(0.9)]);
    const expected = [
      [32, 0, 64, 32],
      [-32, 0, 96, 64], // tw = log 2 in float32: width 2·32 up to float32 rounding
    ];
    expect(c.boxes.length).toBe(2);
    c.boxes.forEach((b, i) => [b.x1, b.y1, b.x2, b.y2].forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 5)));
  });

  it('orders by score and clips to the image', () => {
    const p = selectProposals(decodeYolox(output, manifest, 0.5), manifest, 60, 40);
    expect(p.map((x) => x.box)).toEqual([
      { x1: 0, y1: 0, x2: 60, y2: 40 },
      { x1: 32, y1: 0, x2: 60, y2: 32 },
    ]);
  });

  it('refuses an output of the wrong size', () => {
    expect(() => decodeYolox(new Float32Array(10), manifest, 1)).toThrow(/expected 5×7/);
  });
});
