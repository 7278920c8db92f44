// The checkpoint's tokenizer as it ships: tokenizer.json when present, else the slow Qwen2Tokenizer files
// (vocab.json + merges.txt + tokenizer_config.json / added_tokens.json — the reference loads the slow
// tokenizer, `builder.py` L37), from which the equivalent tokenizer.json is built. Which FO1 tags (<regionN>,
// <ground>, <objects>…) are single added tokens is read from these files, never assumed.

import { checkpointFiles, type CheckpointFiles } from './byte-source.ts';
import type { AddedTokenJson, TokenizerJson } from '../../src/model-folder/tokens.ts';
import { MAX_REGIONS } from '../../src/model-folder/config.ts';
import { GROUND_CLOSE, GROUND_OPEN, OBJECTS_CLOSE, OBJECTS_OPEN, regionTag } from '../../src/model-folder/tokens.ts';

export class TokenizerFilesError extends Error {
  override name = 'TokenizerFilesError';
}

export interface CheckpointTokenizer {
  tokenizerJson: TokenizerJson;
  tokenizerConfig: Record<string, unknown>;
  /** Which files it came from. */
  source: 'tokenizer.json' | 'vocab.json+merges.txt';
}

type Json = Record<string, unknown>;

async function readText(src: CheckpointFiles, file: string): Promise<string> {
  try {
    return await src.text(file);
  } catch (e) {
    throw new TokenizerFilesError(`${src.where(file)}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

async function readJson(src: CheckpointFiles, file: string): Promise<Json> {
  const text = await readText(src, file);
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (e) {
    throw new TokenizerFilesError(`${src.where(file)}: not a valid JSON object (${(e as Error).message})`);
  }
}

/** From a local folder (a path) or any CheckpointFiles (a Hub repository). */
export async function readTokenizer(folder: string | CheckpointFiles): Promise<CheckpointTokenizer> {
  const src = await checkpointFiles(folder);
  const tokenizerConfig = src.has('tokenizer_config.json') ? await readJson(src, 'tokenizer_config.json') : {};
  if (src.has('tokenizer.json')) {
    const json = await readJson(src, 'tokenizer.json');
    const model = json.model as Json | undefined;
    if (!Array.isArray(json.added_tokens) || typeof model?.vocab !== 'object' || !Array.isArray(model?.merges)) {
      throw new TokenizerFilesError(`${src.where('tokenizer.json')}: expected added_tokens and a BPE model with vocab and merges`);
    }
    return { tokenizerJson: json as unknown as TokenizerJson, tokenizerConfig, source: 'tokenizer.json' };
  }
  for (const f of ['vocab.json', 'merges.txt']) {
    if (!src.has(f)) throw new TokenizerFilesError(`${src.label}: no tokenizer.json and no ${f} (need tokenizer.json, or vocab.json + merges.txt)`);
  }
  const vocab = await readJson(src, 'vocab.json');
  for (const [tok, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id)) throw new TokenizerFilesError(`${src.where('vocab.json')}: token ${JSON.stringify(tok)} has id ${JSON.stringify(id)}, expected an integer`);
  }
  const merges = parseMerges(await readText(src, 'merges.txt'), src.where('merges.txt'));
  const addedJson = src.has('added_tokens.json') ? await readJson(src, 'added_tokens.json') : {};
  const added = slowAddedTokens(tokenizerConfig, addedJson);
  return { tokenizerJson: buildTokenizerJson(vocab as Record<string, number>, merges, added), tokenizerConfig, source: 'vocab.json+merges.txt' };
}

/** merges.txt: an optional "#version" line, then one "left right" pair a line. */
export function parseMerges(text: string, path = 'merges.txt'): [string, string][] {
  const out: [string, string][] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new TokenizerFilesError(`${path}: line ${i + 1} ${JSON.stringify(line)} is not "left right"`);
    out.push([parts[0], parts[1]]);
  });
  return out;
}

/**
 * Added tokens of a slow tokenizer: tokenizer_config.json `added_tokens_decoder` ({id: {content, flags}}) and
 * added_tokens.json ({content: id}), which older checkpoints use alone. Sorted by id.
 */
export function slowAddedTokens(tokenizerConfig: Json, addedTokensJson: Json): AddedTokenJson[] {
  const byId = new Map<number, AddedTokenJson>();
  const decoder = (tokenizerConfig.added_tokens_decoder ?? {}) as Record<string, Partial<AddedTokenJson>>;
  for (const [idText, t] of Object.entries(decoder)) {
    const id = Number(idText);
    if (!Number.isInteger(id) || typeof t?.content !== 'string') {
      throw new TokenizerFilesError(`tokenizer_config.json: added_tokens_decoder entry ${JSON.stringify(idText)} needs an integer id and a string content`);
    }
    byId.set(id, { id, content: t.content, single_word: !!t.single_word, lstrip: !!t.lstrip, rstrip: !!t.rstrip, normalized: !!t.normalized, special: !!t.special });
  }
  for (const [content, id] of Object.entries(addedTokensJson)) {
    if (!Number.isInteger(id)) throw new TokenizerFilesError(`added_tokens.json: ${JSON.stringify(content)} has id ${JSON.stringify(id)}, expected an integer`);
    const prev = byId.get(id as number);
    if (prev && prev.content !== content) {
      throw new TokenizerFilesError(`added_tokens.json: id ${id} is ${JSON.stringify(content)} but tokenizer_config.json says ${JSON.stringify(prev.content)}`);
    }
    if (!prev) byId.set(id as number, { id: id as number, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** The fast-tokenizer JSON equivalent of Qwen2Tokenizer (transformers' Qwen2Converter: NFC, the Qwen2 split regex, byte-level BPE). */
export function buildTokenizerJson(vocab: Record<string, number>, merges: [string, string][], added: AddedTokenJson[]): TokenizerJson {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
          behavior: 'Isolated',
          invert: false,
        },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** Ids the runtime needs; a tag that is not a single added token is null (the prompt then spells it in BPE). */
export interface SpecialTokenIds {
  endOfText: number | null;
  imStart: number | null;
  imEnd: number | null;
  visionStart: number | null;
  visionEnd: number | null;
  imagePad: number | null;
  /** ids of <region0>..<region{n-1}> when all of them are added tokens, else null. */
  regions: number[] | null;
  ground: [number, number] | null;
  objects: [number, number] | null;
}

export function specialTokenIds(t: TokenizerJson): SpecialTokenIds {
  const added = new Map(t.added_tokens.map((a) => [a.content, a.id]));
  const id = (s: string) => added.get(s) ?? null;
  const pair = (a: string, b: string): [number, number] | null => {
    const x = id(a), y = id(b);
    return x !== null && y !== null ? [x, y] : null;
  };
  const regions = Array.from({ length: MAX_REGIONS }, (_, i) => id(regionTag(i)));
  return {
    endOfText: id('<|endoftext|>'),
    imStart: id('<|im_start|>'),
    imEnd: id('<|im_end|>'),
    visionStart: id('<|vision_start|>'),
    visionEnd: id('<|vision_end|>'),
    imagePad: id('<|image_pad|>'),
    regions: regions.every((r) => r !== null) ? (regions as number[]) : null,
    ground: pair(GROUND_OPEN, GROUND_CLOSE),
    objects: pair(OBJECTS_OPEN, OBJECTS_CLOSE),
  };
}
