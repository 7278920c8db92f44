// The tags VLM-FO1 adds to Qwen2.5's vocabulary (spelled in src/model-folder/tokens.ts). Whether a given
// checkpoint's tokenizer holds them as single added tokens is read from its files
// (Fo1Tokenizer.addedTokenId), never assumed; `addFo1Tokens` builds such a tokenizer for the random-weight fixtures, with ids after Qwen's last added token (151664) and inside the
// 151936-row embedding.

import { MAX_REGIONS } from '../../model-folder/config.ts';
import { FO1_TAGS, type AddedTokenJson, type TokenizerJson } from '../../model-folder/tokens.ts';
import { TokenizerError } from './tokenizer.ts';

export { MAX_REGIONS };
export { ANSWER_CLOSE, ANSWER_OPEN, FO1_TAGS, GROUND_CLOSE, GROUND_OPEN, OBJECTS_CLOSE, OBJECTS_OPEN, regionTag, THINK_CLOSE, THINK_OPEN } from '../../model-folder/tokens.ts';

export interface AddFo1TokensOptions {
  /** First id to assign; default 151665, right after Qwen2.5's 22 added tokens. */
  firstId?: number;
  /** Rows of the embedding matrix; every id must be below it. Default 151936 (Qwen2.5-VL-3B). */
  vocabSize?: number;
}

/**
 * A copy of tokenizer.json with the FO1 tags as added tokens (not special: a decode that skips special
 * tokens must keep the region citations). Tags that are already added tokens are left as they are.
 */
export function addFo1Tokens(tokenizerJson: TokenizerJson, options: AddFo1TokensOptions = {}): TokenizerJson {
  const { firstId = 151665, vocabSize = 151936 } = options;
  const existing = new Set(tokenizerJson.added_tokens.map((t) => t.content));
  const missing = FO1_TAGS.filter((tag) => !existing.has(tag));
  const usedIds = new Set([...Object.values(tokenizerJson.model.vocab), ...tokenizerJson.added_tokens.map((t) => t.id)]);
  const added: AddedTokenJson[] = missing.map((content, i) => ({
    id: firstId + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: false,
  }));
  for (const t of added) {
    if (usedIds.has(t.id)) throw new TokenizerError(`addFo1Tokens: id ${t.id} for ${t.content} is already taken`);
    if (t.id >= vocabSize) throw new TokenizerError(`addFo1Tokens: id ${t.id} for ${t.content} does not fit a vocabulary of ${vocabSize}`);
  }
  return { ...tokenizerJson, added_tokens: [...tokenizerJson.added_tokens, ...added] };
}
