// The box position embedding HFRE adds to each region feature (hybrid_finegrained_region_encoder.py
// gen_sineembed_for_position and HFREModule.__call__ L438-465; docs/model.md "Region features"): vt boxes normalised by the
// Qwen-resized image (grid · 14), as (cx, cy, w, h); d = D/4 frequencies 10000^(2⌊i/2⌋/d); each
// coordinate becomes [sin a0, cos a1, sin a2, …] and the four are concatenated **y first**: cy, cx, w, h.

import type { VtBox } from '../../model-folder/boxes.ts';

/** (K, D) sine embedding of `vtBoxes` on a `width`×`height` Qwen-resized image. */
export function boxSineEmbedding(vtBoxes: readonly VtBox[], width: number, height: number, D: number): Float32Array {
  if (D % 4) throw new Error(`box embedding: region hidden size ${D} is not divisible by 4 (one quarter per cy, cx, w, h)`);
  const d = D / 4;
  const freq = Array.from({ length: d }, (_, i) => (2 * Math.PI) / 10000 ** ((2 * Math.floor(i / 2)) / d));
  const out = new Float32Array(vtBoxes.length * D);
  vtBoxes.forEach((b, k) => {
    const w = (b.x2 - b.x1) / width, h = (b.y2 - b.y1) / height;
    const coords = [b.y1 / height + h / 2, b.x1 / width + w / 2, w, h]; // cy, cx, w, h
    coords.forEach((c, j) => {
      const o = k * D + j * d;
      for (let i = 0; i < d; i++) out[o + i] = i % 2 === 0 ? Math.sin(c * freq[i]) : Math.cos(c * freq[i]);
    });
  });
  return out;
}
