// The model folder's tokenizer (tokenizer.json + tokenizer_config.json, already parsed) behind the few
// operations the prompt needs. Built on @huggingface/transformers' PreTrainedTokenizer, constructed from
// in-memory JSON so it works the same in Node and in the browser with no network.
//
// Two ways to turn text into ids:
// - `encode`: the reference's `tokenizer(text).input_ids` — added tokens (<|im_end|>, <regionN>, …) are
//   matched in the text first, the rest goes through NFC → the byte-level pre-tokenizer → BPE;
// - `encodePlain`: the same pipeline with NO added-token matching, so user text that spells `<|im_end|>`
//   or `<region3>` stays ordinary characters (HF's `split_special_tokens=True`, which transformers.js lacks).
// `encodeSegments` mixes the two inside one chunk: added tokens are matched only in trusted segments
// (templates, rendered region tags) and the text between them is encoded as one piece, so a prompt whose
// user text holds no control tokens gets exactly the reference's ids.

import { PreTrainedTokenizer } from '@huggingface/transformers';
import type { AddedTokenJson, TokenizerJson } from '../../model-folder/tokens.ts';

export type { AddedTokenJson, TokenizerJson };

/** A piece of one tokenized chunk: trusted text may contain control tokens, untrusted text never does. */
export interface TextSegment {
  text: string;
  trusted: boolean;
}

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

type Piece = { added: AddedTokenJson } | { text: string };

export class Fo1Tokenizer {
  /** Added tokens longest first, so `<region10>` wins over a hypothetical `<region1` prefix match. */
  private readonly addedByLength: AddedTokenJson[];
  private readonly addedIds: Set<number>;

  private constructor(readonly hf: PreTrainedTokenizer, added: readonly AddedTokenJson[]) {
    this.addedByLength = [...added].sort((a, b) => b.content.length - a.content.length);
    this.addedIds = new Set(added.map((t) => t.id));
  }

  /** From the parsed tokenizer.json and tokenizer_config.json of a model folder. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown): Fo1Tokenizer {
    const json = checkTokenizerJson(tokenizerJson);
    if (typeof tokenizerConfig !== 'object' || tokenizerConfig === null) {
      throw new TokenizerError('tokenizer_config.json: expected a JSON object');
    }
    return new Fo1Tokenizer(new PreTrainedTokenizer(json, tokenizerConfig), json.added_tokens);
  }

  /** The reference's `tokenizer(text).input_ids` (Qwen adds no BOS/EOS). */
  encode(text: string): number[] {
    return this.encodeSegments([{ text, trusted: true }]);
  }

  /** Text as ordinary characters only: never yields an added/special token id. */
  encodePlain(text: string): number[] {
    if (text.length === 0) return [];
    const t = this.hf._tokenizer;
    const normalized = t.normalizer ? t.normalizer(text) : text;
    const words = t.pre_tokenizer ? t.pre_tokenizer(normalized) : [normalized];
    const tokens = t.model ? t.model(words) : words;
    return tokens.map((tok) => {
      const id = t.model?.tokens_to_ids.get(tok);
      if (id === undefined) throw new TokenizerError(`BPE produced ${JSON.stringify(tok)}, which is not in the vocabulary`);
      // transformers.js stores added tokens in the same map; a BPE string that collides with one would
      // silently become a control token, so refuse such a tokenizer rather than mis-encode.
      if (this.addedIds.has(id)) throw new TokenizerError(`plain text produced added token ${JSON.stringify(tok)} (vocab and added tokens overlap)`);
      return id;
    });
  }

  /** One chunk made of trusted and untrusted segments; see the file comment. */
  encodeSegments(segments: readonly TextSegment[]): number[] {
    const pieces: Piece[] = [];
    for (const seg of segments) {
      for (const p of seg.trusted ? this.splitAdded(seg.text) : [{ text: seg.text }]) {
        const last = pieces[pieces.length - 1];
        if ('text' in p && last && 'text' in last) last.text += p.text;
        else pieces.push(p);
      }
    }
    applyStrip(pieces);
    return pieces.flatMap((p) => ('added' in p ? [p.added.id] : this.encodePlain(p.text)));
  }

  /** Ids to text; added tokens such as `<region3>` are kept (the reference decodes with skip_special_tokens=False). */
  decode(ids: readonly number[], skipSpecialTokens = false): string {
    if (ids.length === 0) return '';
    return this.hf.decode([...ids], { skip_special_tokens: skipSpecialTokens });
  }

  /** The id of an added token, or undefined when `content` is not one. */
  addedTokenId(content: string): number | undefined {
    return this.addedByLength.find((t) => t.content === content)?.id;
  }

  /** Like addedTokenId, but a missing token is an error naming it. */
  requireAddedTokenId(content: string): number {
    const id = this.addedTokenId(content);
    if (id === undefined) throw new TokenizerError(`the tokenizer has no added token ${content}`);
    return id;
  }

  /** Every added token's id (special or not): ids that plain text must never produce. */
  isAddedId(id: number): boolean {
    return this.addedIds.has(id);
  }

  /** Leftmost, longest-first split of trusted text on added-token contents. */
  private splitAdded(text: string): Piece[] {
    const out: Piece[] = [];
    let plainStart = 0;
    let i = 0;
    while (i < text.length) {
      const hit = this.addedByLength.find((t) => text.startsWith(t.content, i));
      if (hit) {
        if (i > plainStart) out.push({ text: text.slice(plainStart, i) });
        out.push({ added: hit });
        i += hit.content.length;
        plainStart = i;
      } else {
        i++;
      }
    }
    if (plainStart < text.length) out.push({ text: text.slice(plainStart) });
    return out;
  }
}

/** lstrip/rstrip added tokens eat the whitespace beside them, as HF's added-vocabulary split does. */
function applyStrip(pieces: Piece[]): void {
  pieces.forEach((p, i) => {
    if (!('added' in p)) return;
    const prev = pieces[i - 1];
    const next = pieces[i + 1];
    if (p.added.lstrip && prev && 'text' in prev) prev.text = prev.text.trimEnd();
    if (p.added.rstrip && next && 'text' in next) next.text = next.text.trimStart();
  });
}

function checkTokenizerJson(json: unknown): TokenizerJson {
  const j = json as Partial<TokenizerJson> | null;
  if (typeof j !== 'object' || j === null) throw new TokenizerError('tokenizer.json: expected a JSON object');
  if (!Array.isArray(j.added_tokens)) throw new TokenizerError('tokenizer.json: missing the added_tokens array');
  if (j.model?.type !== 'BPE' || typeof j.model.vocab !== 'object' || !Array.isArray(j.model.merges)) {
    throw new TokenizerError(`tokenizer.json: expected a BPE model with vocab and merges (got ${JSON.stringify(j.model?.type)})`);
  }
  for (const t of j.added_tokens) {
    if (!Number.isInteger(t?.id) || typeof t?.content !== 'string' || t.content.length === 0) {
      throw new TokenizerError(`tokenizer.json: malformed added token ${JSON.stringify(t)}`);
    }
  }
  return j as TokenizerJson;
}
