// The perception encoder, DaViT (Florence-2's vision tower), in float32 — the oracle for
// converter/emit/vision-perception.ts. Straight from VLM-FO1's vendored
// vlm_fo1/model/multimodal_encoder/davit/modeling_davit.py (DaViT.forward_features, ConvEmbed,
// SpatialBlock/WindowAttention, ChannelBlock/ChannelAttention, Mlp) and docs/model.md "Components".
//
// Batch 1. Inside a stage the tokens are kept as an (H, W, C) grid — the reference's (B, H·W, C) with
// the batch dropped and the spatial axes unflattened — so the convs, the window partition and the
// LayerNorms all read off the same tensor.

import type { WeightSource } from '../converter/read/checkpoint.ts';
import { PREFIX } from '../converter/read/config.ts';
import type { DavitConfig } from '../src/model-folder/config.ts';
import { conv2d } from './conv2d.ts';
import { add, gelu, layerNorm, linear, matmul, permute, reshape, scale, slice, softmax, zeros, type Tensor } from './tensor.ts';

/** Weight lookup under the tower's checkpoint prefix (`model.vision_tower_aux.image_tower.`). */
type Weights = (name: string) => Promise<Tensor>;

/**
 * DaViT.forward_features: pixel_values (1, 3, H, W) → the four stage maps (1, C_i, H_i, W_i), with no
 * final norm.
 */
export async function visionPerception(w: WeightSource, cfg: DavitConfig, pixelValues: Tensor): Promise<Tensor[]> {
  if (pixelValues.shape.length !== 4 || pixelValues.shape[0] !== 1 || pixelValues.shape[1] !== 3) {
    throw new Error(`visionPerception: pixel_values must be (1, 3, H, W), got [${pixelValues.shape}]`);
  }
  const get: Weights = (name) => w.get(PREFIX.davit + name);
  const outs: Tensor[] = [];
  let x: Tensor = pixelValues; // stage 0 reads the image; later stages read the previous (H, W, C) grid
  for (let i = 0; i < cfg.dimEmbed.length; i++) {
    let t = await convEmbed(get, cfg, i, x); // (H_i, W_i, C_i)
    for (let j = 0; j < cfg.depths[i]; j++) {
      t = await spatialBlock(get, cfg, `blocks.${i}.${j}.spatial_block`, t, cfg.numHeads[i]);
      t = await channelBlock(get, cfg, `blocks.${i}.${j}.channel_block`, t, cfg.numGroups[i]);
    }
    outs.push(toImage(t)); // rearrange 'b (h w) c -> b c h w'
    x = t;
  }
  return outs;
}

/**
 * ConvEmbed: proj = Conv2d(k, stride, padding) with a LayerNorm before it (pre_norm) or after it.
 * The reference applies the pre-norm only to token input (`len(x.size()) == 3`), so a pre-norm on the
 * first stage, which sees the 4-D image, is skipped exactly as there.
 */
async function convEmbed(get: Weights, cfg: DavitConfig, i: number, x: Tensor): Promise<Tensor> {
  const p = `convs.${i}`;
  const norm = async (t: Tensor) => layerNorm(t, await get(`${p}.norm.weight`), await get(`${p}.norm.bias`), cfg.layerNormEps);
  const img = i === 0 ? x : toImage(cfg.patchPrenorm[i] ? await norm(x) : x); // (1, C_in, H, W)
  const y = conv2d(img, await get(`${p}.proj.weight`), await get(`${p}.proj.bias`), { stride: cfg.patchStride[i], padding: cfg.patchPadding[i] });
  const t = toGrid(y); // (H', W', C)
  return cfg.patchPrenorm[i] ? t : norm(t);
}

/** SpatialBlock: x += dw(x); x += WindowAttn(LN(x)); x += dw(x); x += MLP(LN(x)). */
async function spatialBlock(get: Weights, cfg: DavitConfig, p: string, x: Tensor, heads: number): Promise<Tensor> {
  x = add(x, await depthwiseConv(get, `${p}.conv1.fn.dw`, x));
  x = add(x, await windowAttention(get, `${p}.window_attn.fn`, await preNorm(get, cfg, `${p}.window_attn.norm`, x), heads, cfg.windowSize));
  x = add(x, await depthwiseConv(get, `${p}.conv2.fn.dw`, x));
  return add(x, await mlp(get, `${p}.ffn.fn.net`, await preNorm(get, cfg, `${p}.ffn.norm`, x)));
}

/** ChannelBlock: x += dw(x); x += ChannelAttn(LN(x)); x += dw(x); x += MLP(LN(x)). */
async function channelBlock(get: Weights, cfg: DavitConfig, p: string, x: Tensor, groups: number): Promise<Tensor> {
  x = add(x, await depthwiseConv(get, `${p}.conv1.fn.dw`, x));
  x = add(x, await channelAttention(get, `${p}.channel_attn.fn`, await preNorm(get, cfg, `${p}.channel_attn.norm`, x), groups));
  x = add(x, await depthwiseConv(get, `${p}.conv2.fn.dw`, x));
  return add(x, await mlp(get, `${p}.ffn.fn.net`, await preNorm(get, cfg, `${p}.ffn.norm`, x)));
}

async function preNorm(get: Weights, cfg: DavitConfig, p: string, x: Tensor): Promise<Tensor> {
  return layerNorm(x, await get(`${p}.weight`), await get(`${p}.bias`), cfg.layerNormEps);
}

/** DepthWiseConv2d: Conv2d(C, C, 3, padding 1, groups C) on the (H, W, C) grid. */
async function depthwiseConv(get: Weights, p: string, x: Tensor): Promise<Tensor> {
  const C = x.shape[2];
  return toGrid(conv2d(toImage(x), await get(`${p}.weight`), await get(`${p}.bias`), { stride: 1, padding: 1, groups: C }));
}

/** (H, W, C) grid → (1, C, H, W) image. */
function toImage(t: Tensor): Tensor {
  const [H, W, C] = t.shape;
  return reshape(permute(t, [2, 0, 1]), [1, C, H, W]);
}

/** (1, C, H, W) image → (H, W, C) grid. */
function toGrid(t: Tensor): Tensor {
  const [, C, H, W] = t.shape;
  return permute(reshape(t, [C, H, W]), [1, 2, 0]);
}

/** Mlp: fc2(GELU(fc1(x))) with the exact (erf) GELU. */
async function mlp(get: Weights, p: string, x: Tensor): Promise<Tensor> {
  const h = gelu(linear(x, await get(`${p}.fc1.weight`), await get(`${p}.fc1.bias`)));
  return linear(h, await get(`${p}.fc2.weight`), await get(`${p}.fc2.bias`));
}

/**
 * WindowAttention over the normed grid: zero-pad right/bottom to whole ws×ws windows, full attention
 * inside each window (the padded tokens are keys and values too — no mask), scale head_dim^-0.5, then
 * undo the partition and crop the padding.
 */
async function windowAttention(get: Weights, p: string, x: Tensor, heads: number, ws: number): Promise<Tensor> {
  const [H, W, C] = x.shape;
  const hd = C / heads;
  const nH = Math.ceil(H / ws), nW = Math.ceil(W / ws);
  const Hp = nH * ws, Wp = nW * ws;
  const n = ws * ws;
  const padded = zeros([Hp, Wp, C]); // F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
  for (let y = 0; y < H; y++) padded.data.set(x.data.subarray(y * W * C, (y + 1) * W * C), y * Wp * C);
  // window_partition: (Hp, Wp, C) → (nH·nW, ws·ws, C)
  const windows = reshape(permute(reshape(padded, [nH, ws, nW, ws, C]), [0, 2, 1, 3, 4]), [nH * nW, n, C]);
  const qkv = linear(windows, await get(`${p}.qkv.weight`), await get(`${p}.qkv.bias`)); // (nWin, n, 3C)
  const [q, k, v] = splitQkv(permute(reshape(qkv, [nH * nW, n, 3, heads, hd]), [2, 0, 3, 1, 4])); // each (nWin, nh, n, hd)
  const attn = softmax(matmul(scale(q, hd ** -0.5), permute(k, [0, 1, 3, 2]))); // (nWin, nh, n, n)
  const o = reshape(permute(matmul(attn, v), [0, 2, 1, 3]), [nH * nW, n, C]); // (nWin, n, C)
  const y = linear(o, await get(`${p}.proj.weight`), await get(`${p}.proj.bias`));
  // window_reverse: (nH·nW, ws·ws, C) → (Hp, Wp, C), then x[:H, :W]
  const grid = reshape(permute(reshape(y, [nH, nW, ws, ws, C]), [0, 2, 1, 3, 4]), [Hp, Wp, C]);
  return slice(slice(grid, 0, 0, H), 1, 0, W);
}

/**
 * ChannelAttention: attention between the C/g channels of each group, over all N = H·W tokens:
 * attn = softmax((q·N^-0.5)ᵀ k) of shape (C/g, C/g), out = (attn vᵀ)ᵀ, then proj.
 */
async function channelAttention(get: Weights, p: string, x: Tensor, groups: number): Promise<Tensor> {
  const [H, W, C] = x.shape;
  const N = H * W;
  const dg = C / groups;
  const qkv = linear(reshape(x, [N, C]), await get(`${p}.qkv.weight`), await get(`${p}.qkv.bias`)); // (N, 3C)
  // reshape(B, N, 3, g, C/g) and keep channels before tokens: each (g, C/g, N) = qᵀ, kᵀ, vᵀ
  const [qT, kT, vT] = splitQkv(permute(reshape(qkv, [N, 3, groups, dg]), [1, 2, 3, 0]));
  const attn = softmax(matmul(scale(qT, N ** -0.5), permute(kT, [0, 2, 1]))); // (g, dg, dg)
  const o = permute(matmul(attn, vT), [2, 0, 1]); // (g, dg, N) → (N, g, dg)
  return reshape(linear(reshape(o, [N, C]), await get(`${p}.proj.weight`), await get(`${p}.proj.bias`)), [H, W, C]);
}

/** qkv[0], qkv[1], qkv[2] of a tensor whose leading axis is 3. */
function splitQkv(t: Tensor): [Tensor, Tensor, Tensor] {
  const rest = t.shape.slice(1);
  const part = (i: number) => reshape(slice(t, 0, i, i + 1), rest);
  return [part(0), part(1), part(2)];
}
