// The float32 reference of the "semantic" encoder: the Qwen2.5-VL ViT with FO1's multi-level gather
// (docs/model.md "Components"). Written the way the authors' code runs, on purpose unlike the ONNX graph:
// tokens are permuted into window order before block 0, attention masks are built from cu_seqlens,
// and the permutation is undone at the end with argsort(window_index).
//   vlm_fo1/model/multimodal_encoder/qwen2_5_vl/modeling_qwen2_5_vl.py
//     Qwen2_5_VisionTransformerPretrainedModel: rot_pos_emb L436, get_window_index L465, forward L495
//     Qwen2_5_VLVisionAttention (eager) L233, Qwen2_5_VLVisionBlock L333, Qwen2_5_VLPatchMerger L146
//   vlm_fo1/model/multimodal_encoder/qwen2_5_vl_encoder.py custom_forward L86-158 (gather after each
//     full-attention block), VisionFeaturesGather.extract_multi_level_features L37-80
//   vlm_fo1/model/multimodal_projector/builder.py build_vision_projector (mm_projector)

import type { WeightSource } from '../converter/read/checkpoint.ts';
import type { ProjectorType, VisionConfig } from '../src/model-folder/config.ts';
import { PREFIX } from '../converter/read/config.ts';
import { add, concat, gelu, linear, matmul, mul, permute, reshape, rmsNorm, scale, silu, slice, softmax, tensor, type Tensor } from './tensor.ts';

/** What the semantic encoder needs from Fo1Config: the ViT, and the image-token projector after it. */
export interface VisionSemanticConfig {
  vision: VisionConfig;
  projectorType: ProjectorType;
}

export interface VisionSemanticResult {
  /** (N/4, D) merger (+ mm_projector) output, merged tokens row-major. */
  imageEmbeds: Tensor;
  /** (1, C, gh, gw) hidden state after each full-attention block, raster order; the last feeds SimpleFP. */
  levels: Tensor[];
}

const THETA = 10000;
const NEG = -3.4028234663852886e38; // torch.finfo(float32).min, the eager mask value

/** rot_pos_emb: (N, hd/2) = [h·inv_freq, w·inv_freq] per patch, patches in merge-grouped order. */
export function rotPosEmb(gh: number, gw: number, m: number, headDim: number): Tensor {
  const f = Math.fround;
  const dim = headDim / 2;
  const invFreq: number[] = [];
  for (let i = 0; i < dim; i += 2) invFreq.push(f(1 / f(THETA ** f(i / dim))));
  const rows: number[] = [];
  // hpos/wpos_ids.reshape(h/m, m, w/m, m).permute(0, 2, 1, 3).flatten()
  for (let bh = 0; bh < gh / m; bh++)
    for (let bw = 0; bw < gw / m; bw++)
      for (let ih = 0; ih < m; ih++)
        for (let iw = 0; iw < m; iw++) {
          const h = bh * m + ih, w = bw * m + iw;
          rows.push(...invFreq.map((fr) => f(h * fr)), ...invFreq.map((fr) => f(w * fr)));
        }
  return tensor(rows, [gh * gw, dim]);
}

/** get_window_index for one image (t = 1): merged-token ids in window order, and cu_window_seqlens in patches. */
export function getWindowIndex(gh: number, gw: number, m: number, vitMergerWindowSize: number): { windowIndex: number[]; cuWindowSeqlens: number[] } {
  const vw = vitMergerWindowSize;
  const lh = gh / m, lw = gw / m;
  // The reference pads by a whole window when already divisible; the extra windows are empty.
  const padH = vw - (lh % vw), padW = vw - (lw % vw);
  const nh = (lh + padH) / vw, nw = (lw + padW) / vw;
  const windowIndex: number[] = [];
  const cu = [0];
  for (let wy = 0; wy < nh; wy++)
    for (let wx = 0; wx < nw; wx++) {
      let count = 0;
      for (let y = wy * vw; y < (wy + 1) * vw; y++)
        for (let x = wx * vw; x < (wx + 1) * vw; x++)
          if (y < lh && x < lw) {
            windowIndex.push(y * lw + x);
            count++;
          }
      cu.push(cu[cu.length - 1] + count * m * m);
    }
  // torch.unique_consecutive(cu_window_seqlens)
  return { windowIndex, cuWindowSeqlens: cu.filter((v, i) => i === 0 || v !== cu[i - 1]) };
}

/** x[index] over groups of `unit` consecutive rows: hidden_states.reshape(N/unit, unit, -1)[index]. */
function gatherGroups(x: Tensor, index: readonly number[], unit: number): Tensor {
  const C = x.shape[1];
  const out = new Float32Array(x.data.length);
  index.forEach((src, dst) => out.set(x.data.subarray(src * unit * C, (src + 1) * unit * C), dst * unit * C));
  return tensor(out, x.shape);
}

function argsort(a: readonly number[]): number[] {
  return a.map((v, i) => [v, i]).sort((p, q) => p[0] - q[0]).map((p) => p[1]);
}

/** rotate_half: cat(−x2, x1) on the last dim. */
function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.shape.length - 1];
  const x1 = slice(x, x.shape.length - 1, 0, d / 2), x2 = slice(x, x.shape.length - 1, d / 2, d);
  return concat([scale(x2, -1), x1], x.shape.length - 1);
}

/** apply_rotary_pos_emb_vision on (N, nh, hd) with cos/sin (N, hd) broadcast over heads. */
function applyRope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const [N, nh, hd] = x.shape;
  // cos.unsqueeze(-2): (N, 1, hd) → (N, nh, hd)
  const perHead = (t: Tensor) => tensor(Float32Array.from({ length: N * nh * hd }, (_, i) => t.data[Math.floor(i / (nh * hd)) * hd + (i % hd)]), x.shape);
  return add(mul(x, perHead(cos)), mul(rotateHalf(x), perHead(sin)));
}

/** Additive (N, N) mask: 0 inside each [cu[i−1], cu[i]) block, finfo.min elsewhere. */
function blockMask(N: number, cu: readonly number[]): Tensor {
  const m = new Float32Array(N * N).fill(NEG);
  for (let i = 1; i < cu.length; i++)
    for (let r = cu[i - 1]; r < cu[i]; r++) m.fill(0, r * N + cu[i - 1], r * N + cu[i]);
  return tensor(m, [N, N]);
}

/** Qwen2_5_VLVisionAttention (eager): qkv → RoPE → softmax(q kᵀ/√hd + mask) v → proj. */
async function attention(w: WeightSource, p: string, x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor, nh: number): Promise<Tensor> {
  const [N, C] = x.shape;
  const hd = C / nh;
  const qkv = linear(x, await w.get(`${p}.qkv.weight`), await w.get(`${p}.qkv.bias`)); // (N, 3C)
  const parts = permute(reshape(qkv, [N, 3, nh, hd]), [1, 0, 2, 3]); // (3, N, nh, hd)
  const [q, k, v] = [0, 1, 2].map((i) => reshape(slice(parts, 0, i, i + 1), [N, nh, hd]));
  const qh = permute(applyRope(q, cos, sin), [1, 0, 2]); // (nh, N, hd)
  const kh = permute(applyRope(k, cos, sin), [1, 0, 2]);
  const vh = permute(v, [1, 0, 2]);
  const scores = scale(matmul(qh, permute(kh, [0, 2, 1])), 1 / Math.sqrt(hd)); // (nh, N, N)
  const probs = softmax(add(scores, mask));
  const out = reshape(permute(matmul(probs, vh), [1, 0, 2]), [N, C]); // (N, C)
  return linear(out, await w.get(`${p}.proj.weight`), await w.get(`${p}.proj.bias`));
}

/** Qwen2_5_VLMLP with bias: down(silu(gate(x)) · up(x)). */
async function mlp(w: WeightSource, p: string, x: Tensor): Promise<Tensor> {
  const lin = async (n: string, t: Tensor) => linear(t, await w.get(`${p}.${n}.weight`), await w.get(`${p}.${n}.bias`));
  return lin('down_proj', mul(silu(await lin('gate_proj', x)), await lin('up_proj', x)));
}

/** Qwen2_5_VLVisionBlock: x += attn(norm1(x)); x += mlp(norm2(x)). */
async function block(w: WeightSource, p: string, x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor, cfg: VisionConfig): Promise<Tensor> {
  const eps = cfg.rmsNormEps;
  const h = add(x, await attention(w, `${p}.attn`, rmsNorm(x, await w.get(`${p}.norm1.weight`), eps), cos, sin, mask, cfg.numHeads));
  return add(h, await mlp(w, `${p}.mlp`, rmsNorm(h, await w.get(`${p}.norm2.weight`), eps)));
}

/** Qwen2_5_VLPatchMerger: RMSNorm → (N/4, 4C) → Linear → GELU → Linear. */
async function merger(w: WeightSource, p: string, x: Tensor, cfg: VisionConfig): Promise<Tensor> {
  const unit = cfg.spatialMergeSize ** 2;
  const n = reshape(rmsNorm(x, await w.get(`${p}.ln_q.weight`), cfg.rmsNormEps), [-1, unit * x.shape[1]]);
  const h = gelu(linear(n, await w.get(`${p}.mlp.0.weight`), await w.get(`${p}.mlp.0.bias`)));
  return linear(h, await w.get(`${p}.mlp.2.weight`), await w.get(`${p}.mlp.2.bias`));
}

/** build_vision_projector on the image tokens: identity, linear or mlp2x_gelu. */
export async function imageProjector(w: WeightSource, type: ProjectorType, x: Tensor): Promise<Tensor> {
  const p = PREFIX.proj.slice(0, -1);
  switch (type) {
    case 'identity':
      return x;
    case 'linear':
      return linear(x, await w.get(`${p}.weight`), await w.get(`${p}.bias`));
    case 'mlp2x_gelu':
      return linear(gelu(linear(x, await w.get(`${p}.0.weight`), await w.get(`${p}.0.bias`))), await w.get(`${p}.2.weight`), await w.get(`${p}.2.bias`));
  }
}

/** VisionFeaturesGather: window order undone, merge-grouped → raster, (1, C, gh, gw). */
function gatherLevel(h: Tensor, windowIndex: readonly number[], gh: number, gw: number, m: number): Tensor {
  const C = h.shape[1];
  const grouped = gatherGroups(h, argsort(windowIndex), m * m); // (N, C) processor order
  const raster = permute(reshape(grouped, [gh / m, gw / m, m, m, C]), [0, 2, 1, 3, 4]); // (gh/m, m, gw/m, m, C)
  return reshape(permute(reshape(raster, [gh, gw, C]), [2, 0, 1]), [1, C, gh, gw]);
}

/**
 * The semantic encoder on one image: `pixelValues` (gh·gw, 3·tp·p·p) as the Qwen processor emits it,
 * `grid` = image_grid_thw (t, gh, gw) with t = 1.
 */
export async function visionSemanticReference(w: WeightSource, cfg: VisionSemanticConfig, pixelValues: Tensor, grid: readonly [number, number, number]): Promise<VisionSemanticResult> {
  const v = cfg.vision;
  const [t, gh, gw] = grid;
  const m = v.spatialMergeSize, unit = m * m, C = v.hiddenSize, hd = C / v.numHeads;
  if (t !== 1) throw new Error(`vision_semantic reference: image_grid_thw t = ${t}; only single images (t = 1) are supported`);
  const N = gh * gw;
  const K = v.inChannels * v.temporalPatchSize * v.patchSize ** 2;
  if (pixelValues.shape[0] !== N || pixelValues.shape[1] !== K) throw new Error(`vision_semantic reference: pixel_values [${pixelValues.shape}] ≠ [${N}, ${K}] for grid ${gh}×${gw}`);
  const P = PREFIX.vit.slice(0, -1);

  // Qwen2_5_VisionPatchEmbed: Conv3d with kernel = stride over one patch == Linear with the flat kernel.
  const convW = await w.get(`${P}.patch_embed.proj.weight`, [C, v.inChannels, v.temporalPatchSize, v.patchSize, v.patchSize]);
  let h = linear(pixelValues, reshape(convW, [C, K])); // (N, C)

  const { windowIndex, cuWindowSeqlens } = getWindowIndex(gh, gw, m, v.windowSize / m / v.patchSize);
  h = gatherGroups(h, windowIndex, unit);
  const rpe = gatherGroups(rotPosEmb(gh, gw, m, hd), windowIndex, unit); // (N, hd/2)
  const emb = concat([rpe, rpe], 1); // (N, hd)
  const cos = tensor(emb.data.map(Math.cos), emb.shape), sin = tensor(emb.data.map(Math.sin), emb.shape);

  const windowMask = blockMask(N, cuWindowSeqlens);
  const fullMask = blockMask(N, [0, N]);
  const levels: Tensor[] = [];
  for (let i = 0; i < v.depth; i++) {
    const full = v.fullattBlockIndexes.includes(i);
    h = await block(w, `${P}.blocks.${i}`, h, cos, sin, full ? fullMask : windowMask, v);
    if (full) levels.push(gatherLevel(h, windowIndex, gh, gw, m));
  }
  const merged = gatherGroups(await merger(w, `${P}.merger`, h, v), argsort(windowIndex), 1); // (N/4, D)
  return { imageEmbeds: await imageProjector(w, cfg.projectorType, merged), levels };
}
