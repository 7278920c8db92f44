// The tokenizer side of a model folder: the parts of tokenizer.json the converter and the engine read, and
// the tags VLM-FO1 adds to Qwen2.5's vocabulary (vlm_fo1/constants.py): <region0>..<region99>, then the
// grounding and reasoning tags. The converter looks their ids up for model.json `tokens`; the engine renders
// and parses them.

import { MAX_REGIONS } from './config.ts';

/** One entry of tokenizer.json's `added_tokens`. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The parts of tokenizer.json this project reads or edits; the rest passes through untouched. */
export interface TokenizerJson {
  added_tokens: AddedTokenJson[];
  model: { type: string; vocab: Record<string, number>; merges: unknown[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** <regionN>, the tag that cites box N of the question. */
export function regionTag(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_REGIONS) {
    throw new RangeError(`region index ${index} is outside 0..${MAX_REGIONS - 1}`);
  }
  return `<region${index}>`;
}

export const GROUND_OPEN = '<ground>';
export const GROUND_CLOSE = '</ground>';
export const OBJECTS_OPEN = '<objects>';
export const OBJECTS_CLOSE = '</objects>';
export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';
export const ANSWER_OPEN = '<answer>';
export const ANSWER_CLOSE = '</answer>';

/** Every FO1 tag, regions first, in the order the fixtures give them ids (src/engine/prompt/fo1-tokens.ts addFo1Tokens). */
export const FO1_TAGS: readonly string[] = [
  ...Array.from({ length: MAX_REGIONS }, (_, i) => regionTag(i)),
  GROUND_OPEN, GROUND_CLOSE, OBJECTS_OPEN, OBJECTS_CLOSE, THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE,
];
