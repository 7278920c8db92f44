// SimpleFP (ViTDet's simple feature pyramid) over the ViT block-31 map, as
// vlm_fo1/model/multimodal_visual_prompt_encoder/simple_fpn.py builds it with norm="LN" (docs/model.md, variant A):
// scale factors 4, 2, 1, ½ → strides 3.5, 7, 14, 28; stage names simfp_{1..4} (int(log2(int(14/scale)))).
// Convs followed by a norm have no bias; the norm is the ConvNeXt channel LayerNorm (eps 1e-6).
// Depends on the image alone: the browser runs it as its own graph, region_pyramid, once per image
// (converter/emit/region-pyramid.ts); region-encoder.ts regionsOnPyramid is the per-box-set rest.

import type { WeightSource } from '../converter/read/checkpoint.ts';
import { PREFIX } from '../converter/read/config.ts';
import { conv2d } from './conv2d.ts';
import { convTranspose2d, maxPool2d } from './resample.ts';
import { gelu, layerNorm, permute, type Tensor } from './tensor.ts';

export const SIMPLE_FPN = `${PREFIX.hfre}simple_fpn`;

/** simple_fpn.py LayerNorm: normalises each pixel over channels, (B, C, H, W) → (B, C, H, W). */
export function channelLayerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const nhwc = permute(x, [0, 2, 3, 1]); // (B, H, W, C)
  return permute(layerNorm(nhwc, weight, bias, eps), [0, 3, 1, 2]);
}

/** simple_fpn.py Conv2d(bias=False, norm=LN): conv (k×k, pad k//2) then channel LayerNorm. */
async function convNorm(w: WeightSource, prefix: string, x: Tensor, eps: number): Promise<Tensor> {
  const weight = await w.get(`${prefix}.weight`);
  const y = conv2d(x, weight, undefined, { stride: 1, padding: Math.floor(weight.shape[2] / 2) });
  return channelLayerNorm(y, await w.get(`${prefix}.norm.weight`), await w.get(`${prefix}.norm.bias`), eps);
}

/** nn.ConvTranspose2d(k=2, s=2) with bias: doubles H and W. */
async function upsample2x(w: WeightSource, prefix: string, x: Tensor): Promise<Tensor> {
  return convTranspose2d(x, await w.get(`${prefix}.weight`), await w.get(`${prefix}.bias`), 2);
}

/** x: (1, C, gh, gw) block-31 map → [(1, out, 4gh, 4gw), (1, out, 2gh, 2gw), (1, out, gh, gw), (1, out, ⌊gh/2⌋, ⌊gw/2⌋)]. */
export async function simpleFpn(w: WeightSource, x: Tensor, eps: number): Promise<Tensor[]> {
  const p = (stage: number, i: number) => `${SIMPLE_FPN}.simfp_${stage}.${i}`;
  // simfp_1 (×4): ConvT → LN → GELU → ConvT → Conv1×1+LN → Conv3×3+LN
  let s1 = await upsample2x(w, p(1, 0), x); // (1, C/2, 2gh, 2gw)
  s1 = gelu(channelLayerNorm(s1, await w.get(`${p(1, 1)}.weight`), await w.get(`${p(1, 1)}.bias`), eps));
  s1 = await upsample2x(w, p(1, 3), s1); // (1, C/4, 4gh, 4gw)
  s1 = await convNorm(w, p(1, 5), await convNorm(w, p(1, 4), s1, eps), eps); // (1, out, 4gh, 4gw)
  // simfp_2 (×2): ConvT → Conv1×1+LN → Conv3×3+LN
  const s2 = await convNorm(w, p(2, 2), await convNorm(w, p(2, 1), await upsample2x(w, p(2, 0), x), eps), eps);
  // simfp_3 (×1): Conv1×1+LN → Conv3×3+LN
  const s3 = await convNorm(w, p(3, 1), await convNorm(w, p(3, 0), x, eps), eps);
  // simfp_4 (×½): MaxPool(2) → Conv1×1+LN → Conv3×3+LN
  const s4 = await convNorm(w, p(4, 2), await convNorm(w, p(4, 1), maxPool2d(x, 2), eps), eps);
  return [s1, s2, s3, s4];
}
