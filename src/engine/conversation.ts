// Questions about one image with one set of boxes. The prompt (prompt/sequence.ts) falls into three parts:
//   [0, imageEnd)          system text and the image slots: the same for every box set at one detail level
//   [imageEnd, taskStart)  `<regionN>` + feature per box: the same for every question about one box set
//   [taskStart, S)         the question
// so the first part's KV cache is computed once per image (ImagePrefix), the second once per box set on top
// of it (Conversation), and every question prefills only its own tail: a follow-up costs its tokens, a new
// or redrawn box its boxes' tokens, and neither re-encodes the image. Later parts extend the earlier ones'
// caches, which only ever grow from the newest box set (decode/kv-cache.ts says why that needs no copies).
// The image features and region embeddings come from Fo1Model.encodeImage / encodeRegions and are spliced in
// as the reference does (splice.ts).
import type { KvCache } from './decode/kv-cache.ts';
import type { DecodeResult, Fo1Model } from './model.ts';
import { ropeIndex } from './prompt/mrope.ts';
import type { PromptSequence } from './prompt/sequence.ts';
import { spliceEmbeddings, textIds } from './splice.ts';

export interface Prefilled {
  /** Logits after the whole prompt and the cache holding it (owned by the caller). */
  first: DecodeResult;
  /** The shared prefix's cache: the caller must not dispose it (the conversation does). */
  prefix: KvCache;
  /** M-RoPE offset: a decoded token at cache position c sits at c + ropeDelta (docs/model.md "Prompt", M-RoPE). */
  ropeDelta: number;
  /** Whether the prefix came from an earlier question (or Conversation.preparePrefix). */
  reused: boolean;
}

/** Which cached parts a prefix was built from. */
export interface PrefixReport {
  /** The box-set prefix was already cached: nothing ran. */
  reused: boolean;
  /** The image's part was already cached (another box set, or an earlier question, computed it). */
  imageReused: boolean;
  /** Positions the prefix holds. */
  tokens: number;
}

/** (N, hidden) image embeddings and the patch grid they came from. */
export interface ImageEmbeds {
  embeds: Float32Array;
  grid: [number, number];
}

/** The KV cache of the prompt up to the image's last slot, shared by every box set asked about the image. */
export class ImagePrefix {
  private cached: { ids: Int32Array; cache: KvCache } | null = null;

  constructor(
    private readonly model: Fo1Model,
    readonly image: ImageEmbeds,
  ) {}

  /** The cache of `seq`'s positions [0, imageEnd) (M-RoPE `positions` of the whole seq), computed on first use. */
  async cache(seq: PromptSequence, positions: Int32Array): Promise<{ cache: KvCache; reused: boolean }> {
    const end = seq.imageStart + seq.imageTokens;
    const ids = seq.ids.subarray(0, end);
    if (this.cached && sameIds(this.cached.ids, ids)) return { cache: this.cached.cache, reused: true };
    this.dispose();
    const embeds = await embed(this.model, seq, 0, end, this.image.embeds, new Float32Array(0));
    const res = await this.model.decode(embeds, rows(positions, seq.ids.length, 0, end), this.model.emptyCache(), 'none');
    this.cached = { ids: ids.slice(), cache: res.cache };
    return { cache: res.cache, reused: false };
  }

  dispose(): void {
    this.cached?.cache.dispose();
    this.cached = null;
  }
}

export class Conversation {
  /** `owned`: false when the box-set prefix is the image's own cache (no boxes), which the ImagePrefix disposes. */
  private prefix: { ids: Int32Array; cache: KvCache; owned: boolean } | null = null;

  constructor(
    private readonly model: Fo1Model,
    private readonly image: ImagePrefix,
    /** (K, hidden) one per box. */
    readonly regionEmbeds: Float32Array,
  ) {}

  /** inputs_embeds rows for positions [from, to) of `seq`: text embedded now, image/regions spliced in. */
  embeddings(seq: PromptSequence, from: number, to: number): Promise<Float32Array> {
    return embed(this.model, seq, from, to, this.image.image.embeds, this.regionEmbeds);
  }

  /** Prefills `seq`, reusing the cached prefix when `seq` starts with the same one. */
  async prefill(seq: PromptSequence): Promise<Prefilled> {
    const { positions, ropeDelta } = this.rope(seq);
    const S = seq.ids.length;
    const { reused } = await this.ensurePrefix(seq, positions);
    const prefix = this.prefix!.cache;
    const first = await this.model.decode(await this.embeddings(seq, seq.taskStart, S), rows(positions, S, seq.taskStart, S), prefix);
    return { first, prefix, ropeDelta, reused };
  }

  /** Caches `seq`'s question-independent prefix, so the next question prefills only its own tokens. */
  async preparePrefix(seq: PromptSequence): Promise<PrefixReport> {
    return this.ensurePrefix(seq, this.rope(seq).positions);
  }

  dispose(): void {
    if (this.prefix?.owned) this.prefix.cache.dispose();
    this.prefix = null;
  }

  private rope(seq: PromptSequence) {
    const [gh, gw] = this.image.image.grid;
    return ropeIndex(seq.ids, this.model.manifest.tokens.imagePad, [{ t: 1, h: gh, w: gw }], this.model.manifest.config.vision.spatialMergeSize);
  }

  private async ensurePrefix(seq: PromptSequence, positions: Int32Array): Promise<PrefixReport> {
    const split = seq.taskStart;
    const prefixIds = seq.ids.subarray(0, split);
    if (this.prefix !== null && sameIds(this.prefix.ids, prefixIds)) return { reused: true, imageReused: true, tokens: split };
    this.dispose();
    const base = await this.image.cache(seq, positions);
    const end = seq.imageStart + seq.imageTokens;
    if (end === split) this.prefix = { ids: prefixIds.slice(), cache: base.cache, owned: false };
    else {
      const res = await this.model.decode(await this.embeddings(seq, end, split), rows(positions, seq.ids.length, end, split), base.cache, 'none');
      this.prefix = { ids: prefixIds.slice(), cache: res.cache, owned: true };
    }
    return { reused: false, imageReused: base.reused, tokens: split };
  }
}

async function embed(model: Fo1Model, seq: PromptSequence, from: number, to: number, image: Float32Array, regions: Float32Array): Promise<Float32Array> {
  const ids = textIds(seq, from, to);
  const text = ids.length > 0 ? await model.embedText(ids) : new Float32Array(0);
  return spliceEmbeddings(seq, from, to, { text, image, regions }, model.manifest.config.text.hiddenSize);
}

/** Columns [from, to) of a (3, S) position table, as (3, to − from). */
export function rows(positions: Int32Array, S: number, from: number, to: number): Int32Array {
  const n = to - from;
  const out = new Int32Array(3 * n);
  for (let a = 0; a < 3; a++) out.set(positions.subarray(a * S + from, a * S + to), a * n);
  return out;
}

function sameIds(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
