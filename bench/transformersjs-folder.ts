// The peer benchmark's input (bench/transformersjs.ts): transformers.js reads a Hugging Face folder, not our
// model.json, so transformersJsFolder writes config.json / generation_config.json from model.json and links the
// tokenizer and graph files into a cache folder (links, never copies).

import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CACHE } from './models.ts';

// Our folder, as much of it as this bench reads (model.json is validated by the engine; the cached bench
// folders may predate the current manifest version, so only these fields are read, and checked).

interface FolderFile {
  path: string;
}

export interface TextConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  mropeSection: number[];
  tieWordEmbeddings: boolean;
}

export interface OurFolder {
  text: TextConfig;
  spatialMergeSize: number;
  /** config.ids: the checkpoint's special ids. */
  ids: { imageToken: number; videoToken: number; visionStart: number; visionEnd: number; eos: number; bos: number };
  /** Every stop id (tokens.eos). */
  eos: number[];
  /** Per graph: its .onnx and every external-data file it reads (folder-relative). */
  graphs: Record<'embed_tokens' | 'decoder_model_merged', { graph: FolderFile; externalData: FolderFile[] }>;
  tokenizerFiles: string[];
}

export async function readOurFolder(folder: string, dtype: string): Promise<OurFolder> {
  const file = join(folder, 'model.json');
  const m = JSON.parse(await readFile(file, 'utf8'));
  const variant = (name: 'embed_tokens' | 'decoder_model_merged') => {
    const v = m.components?.[name]?.variants?.[dtype];
    if (!v?.graph?.path) throw new Error(`${file}: no ${dtype} variant of ${name}`);
    return { graph: v.graph as FolderFile, externalData: (v.externalData ?? []) as FolderFile[] };
  };
  const text = m.config?.text as TextConfig | undefined;
  if (!text?.numLayers || !text.headDim) throw new Error(`${file}: config.text is missing numLayers/headDim`);
  return {
    text,
    spatialMergeSize: m.config.vision?.spatialMergeSize ?? 2,
    ids: m.config.ids,
    eos: m.tokens?.eos ?? [m.config.ids.eos],
    graphs: { embed_tokens: variant('embed_tokens'), decoder_model_merged: variant('decoder_model_merged') },
    tokenizerFiles: (m.tokenizer?.files ?? []).map((f: FolderFile) => f.path),
  };
}

/**
 * The Hugging Face layout transformers.js loads (config.json with model_type qwen2_5_vl, generation_config.json,
 * tokenizer files, onnx/<graph>_<dtype>.onnx + data), as symlinks into `folder` plus two written JSON files,
 * in the bench cache. Native ORT resolves external data beside the .onnx path it is given, so every data file
 * a graph reads (the decoder's tied lm_head reads embed_tokens' data file) is linked into the same onnx/.
 */
export async function transformersJsFolder(folder: string, dtype: string, out = join(CACHE, `transformersjs-${basename(folder)}`)): Promise<string> {
  const ours = await readOurFolder(folder, dtype);
  await mkdir(join(out, 'onnx'), { recursive: true });
  const files = new Set([...ours.tokenizerFiles, ...Object.values(ours.graphs).flatMap((g) => [g.graph.path, ...g.externalData.map((f) => f.path)])]);
  for (const f of files) if (!existsSync(join(out, f))) await symlink(join(folder, f), join(out, f));
  const t = ours.text;
  const ids = ours.ids;
  const config = {
    architectures: ['Qwen2_5_VLForConditionalGeneration'],
    model_type: 'qwen2_5_vl',
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    image_token_id: ids.imageToken,
    video_token_id: ids.videoToken,
    vision_start_token_id: ids.visionStart,
    vision_end_token_id: ids.visionEnd,
    tie_word_embeddings: t.tieWordEmbeddings,
    text_config: {
      model_type: 'qwen2_5_vl_text',
      hidden_size: t.hiddenSize,
      intermediate_size: t.intermediateSize,
      num_hidden_layers: t.numLayers,
      num_attention_heads: t.numHeads,
      num_key_value_heads: t.numKvHeads,
      head_dim: t.headDim,
      vocab_size: t.vocabSize,
      rms_norm_eps: t.rmsNormEps,
      rope_theta: t.ropeTheta,
      rope_scaling: { type: 'mrope', mrope_section: t.mropeSection },
      tie_word_embeddings: t.tieWordEmbeddings,
    },
    vision_config: { spatial_merge_size: ours.spatialMergeSize },
  };
  await writeFile(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  await writeFile(join(out, 'generation_config.json'), JSON.stringify({ bos_token_id: ids.bos, eos_token_id: ours.eos, do_sample: false }, null, 2) + '\n');
  return out;
}

