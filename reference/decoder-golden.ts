// The fo1-golden `qwen/` fixture as the decoder tests read it (test support, Node only): the text config
// and weights through the converter's own readers, and the reference implementation's tensors.
import { readFile } from 'node:fs/promises';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { parseText } from '../converter/read/config.ts';
import type { TextConfig } from '../src/model-folder/config.ts';
import { sharedAsset } from '../src/testing/shared.ts';
import { reshape, slice, type Tensor } from './tensor.ts';

export interface QwenGolden {
  cfg: TextConfig;
  weights: Checkpoint;
  inputsEmbeds: Tensor; // (S, H)
  positions: Tensor; // (3, S)
  logits: Tensor; // (S, V)
  generatedIds: number[]; // greedy continuation
  positionsExtended: Tensor; // (3, S + n)
  logitsExtended: Tensor; // (S + n, V)
}

export async function loadQwenGolden(dir = sharedAsset('fo1-golden', 'qwen')): Promise<QwenGolden> {
  const json = JSON.parse(await readFile(`${dir}/config.json`, 'utf8')) as Record<string, unknown>;
  const cfg = parseText(json);
  const weights = await Checkpoint.openFile(`${dir}/weights.safetensors`, json);
  const t = await Checkpoint.openFile(`${dir}/tensors.safetensors`);
  try {
    const embeds = await t.get('input.inputs_embeds'); // (1, S, H)
    const logits = await t.get('output.logits'); // (1, S, V)
    const logitsExt = await t.get('output.logits_extended'); // (1, S + n, V)
    const pos = await t.get('output.position_ids'); // (3, 1, S)
    const posExt = await t.get('output.position_ids_extended'); // (3, 1, S + n)
    for (const [name, x] of [['inputs_embeds', embeds], ['logits', logits], ['logits_extended', logitsExt]] as const) {
      if (x.shape[0] !== 1) throw new Error(`fo1-golden qwen: ${name} has batch ${x.shape[0]}; the decoder tests expect batch 1`);
    }
    return {
      cfg,
      weights,
      inputsEmbeds: reshape(embeds, embeds.shape.slice(1)),
      positions: reshape(pos, [3, -1]),
      logits: reshape(logits, logits.shape.slice(1)),
      generatedIds: Array.from((await t.get('output.generated_ids')).data),
      positionsExtended: reshape(posExt, [3, -1]),
      logitsExtended: reshape(logitsExt, logitsExt.shape.slice(1)),
    };
  } finally {
    await t.close();
  }
}

/** Column range [start, end) of (3, N) positions → (3, end − start). */
export const positionsAt = (p: Tensor, start: number, end: number): Tensor => slice(p, 1, start, end);
