// The exact prompt token sequence of VLM-FO1 (docs/model.md "Prompt"; `mm_utils.py` make_message_context,
// tokenizer_image_region_token / tokenizer_image_token, prepare_inputs):
//
//   [<|im_start|>] tok("system\nYou are a helpful assistant.") [<|im_end|>] tok("\n")
//   tok("<|im_start|>user\n<|vision_start|>")  IMAGE×N
//   K > 0:  tok("<|vision_end|>\n<region0>") REGION tok("<region1>") REGION … tok("<region{K-1}>") REGION
//           tok("\n" + PROMPT + "<|im_end|>\n")
//   K = 0:  tok("<|vision_end|>\n" + PROMPT + "<|im_end|>\n")
//   [<|im_start|>] tok("assistant\n")
//
// Each tok(...) is a separate tokenizer call, as in the reference. The reference writes one `<image>`
// placeholder (−200) and expands it to N image embeddings later; here the N slots are laid out directly,
// holding the image token id (what get_rope_index sees). Region slots hold REGION_SLOT_ID (the reference's
// −300): never a real token, so an embedding lookup on one fails loudly instead of silently.

import { MAX_REGIONS, regionTag } from './fo1-tokens.ts';
import { PromptError, renderTask, type Task } from './tasks.ts';
import type { Fo1Tokenizer, TextSegment } from './tokenizer.ts';

/** The reference's DEFAULT_REGION_INDEX: the id left in a region-feature slot. */
export const REGION_SLOT_ID = -300;

const SYSTEM_TEXT = 'system\nYou are a helpful assistant.';

export type Slot = { kind: 'text' } | { kind: 'image' } | { kind: 'region'; region: number };

export interface PromptSequence {
  /** (S,) token ids; image slots = imageToken, region slots = REGION_SLOT_ID. */
  ids: Int32Array;
  /** (S,) what fills each position's embedding. */
  slots: Slot[];
  /** First image slot; the N image slots are contiguous. */
  imageStart: number;
  imageTokens: number;
  /** regionPositions[k] = position of box k's feature slot. */
  regionPositions: number[];
  /** Positions before this one do not depend on the task text (follow-ups can reuse their KV cache). */
  taskStart: number;
}

export interface PromptInputs {
  /** N = grid_h·grid_w/4 merged ViT tokens. */
  imageTokens: number;
  /** K boxes (each becomes `<regionk>` plus one feature slot). */
  boxCount: number;
  /** A preset, or already rendered segments. */
  task: Task | readonly TextSegment[];
}

/** Ids the config names (Fo1Config.ids): only the image token is needed here. */
export interface PromptIds {
  imageToken: number;
}

const TEXT: Slot = { kind: 'text' };
const IMAGE: Slot = { kind: 'image' };

export function buildPromptSequence(tok: Fo1Tokenizer, inputs: PromptInputs, ids: PromptIds): PromptSequence {
  const { imageTokens, boxCount } = inputs;
  if (!Number.isInteger(imageTokens) || imageTokens < 1) throw new PromptError(`image token count must be a positive integer (got ${imageTokens})`);
  if (!Number.isInteger(boxCount) || boxCount < 0) throw new PromptError(`box count must be a non-negative integer (got ${boxCount})`);
  if (boxCount > MAX_REGIONS) throw new PromptError(`${boxCount} boxes given; VLM-FO1 takes at most ${MAX_REGIONS}`);
  const task = Array.isArray(inputs.task) ? (inputs.task as readonly TextSegment[]) : renderTask(inputs.task as Task, boxCount);

  const imStart = tok.requireAddedTokenId('<|im_start|>');
  const imEnd = tok.requireAddedTokenId('<|im_end|>');
  const out = new SequenceWriter();
  out.text([imStart, ...tok.encode(SYSTEM_TEXT), imEnd, ...tok.encode('\n')]);
  out.text(tok.encode('<|im_start|>user\n<|vision_start|>'));
  const imageStart = out.length;
  for (let i = 0; i < imageTokens; i++) out.push(ids.imageToken, IMAGE);

  const regionPositions: number[] = [];
  for (let k = 0; k < boxCount; k++) {
    out.text(tok.encode(k === 0 ? `<|vision_end|>\n${regionTag(0)}` : regionTag(k)));
    regionPositions.push(out.length);
    out.push(REGION_SLOT_ID, { kind: 'region', region: k });
  }
  const taskStart = out.length;
  const head = boxCount > 0 ? '\n' : '<|vision_end|>\n';
  out.text(tok.encodeSegments([{ text: head, trusted: true }, ...task, { text: '<|im_end|>\n', trusted: true }]));
  out.text([imStart, ...tok.encode('assistant\n')]);

  return { ids: Int32Array.from(out.ids), slots: out.slots, imageStart, imageTokens, regionPositions, taskStart };
}

class SequenceWriter {
  readonly ids: number[] = [];
  readonly slots: Slot[] = [];
  get length(): number {
    return this.ids.length;
  }
  push(id: number, slot: Slot): void {
    this.ids.push(id);
    this.slots.push(slot);
  }
  text(ids: readonly number[]): void {
    for (const id of ids) this.push(id, TEXT);
  }
}
