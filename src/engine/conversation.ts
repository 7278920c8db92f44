// Questions about one image with one set of boxes. The prompt's first `taskStart` positions — system
// text, the image slots, `<regionN>` + feature per box — do not depend on the question (prompt/sequence.ts),
// so their KV cache is computed once and every question only prefills its own tail (no
// re-encoding, no re-prefill of the prefix). The image features and region embeddings it holds come from
// Fo1Model.encodeImage / encodeRegions and are spliced in as the reference does (splice.ts).
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
  /** Whether the prefix came from an earlier question. */
  reused: boolean;
}

export class Conversation {
  private prefix: { ids: Int32Array; cache: KvCache } | null = null;

  constructor(
    private readonly model: Fo1Model,
    /** (N, hidden) image embeddings and the patch grid they came from. */
    private readonly image: { embeds: Float32Array; grid: [number, number] },
    /** (K, hidden) one per box. */
    readonly regionEmbeds: Float32Array,
  ) {}

  /** inputs_embeds rows for positions [from, to) of `seq`: text embedded now, image/regions spliced in. */
  async embeddings(seq: PromptSequence, from: number, to: number): Promise<Float32Array> {
    const ids = textIds(seq, from, to);
    const text = ids.length > 0 ? await this.model.embedText(ids) : new Float32Array(0);
    return spliceEmbeddings(seq, from, to, { text, image: this.image.embeds, regions: this.regionEmbeds }, this.model.manifest.config.text.hiddenSize);
  }

  /** Prefills `seq`, reusing the cached prefix when `seq` starts with the same one. */
  async prefill(seq: PromptSequence): Promise<Prefilled> {
    const { config, tokens } = this.model.manifest;
    const [gh, gw] = this.image.grid;
    const { positions, ropeDelta } = ropeIndex(seq.ids, tokens.imagePad, [{ t: 1, h: gh, w: gw }], config.vision.spatialMergeSize);
    const S = seq.ids.length;
    const split = seq.taskStart;
    const prefixIds = seq.ids.subarray(0, split);
    const reused = this.prefix !== null && sameIds(this.prefix.ids, prefixIds);
    if (!reused) {
      this.dispose();
      const res = await this.model.decode(await this.embeddings(seq, 0, split), rows(positions, S, 0, split), this.model.emptyCache(), 'none');
      this.prefix = { ids: prefixIds.slice(), cache: res.cache };
    }
    const prefix = this.prefix!.cache;
    const first = await this.model.decode(await this.embeddings(seq, split, S), rows(positions, S, split, S), prefix);
    return { first, prefix, ropeDelta, reused };
  }

  dispose(): void {
    this.prefix?.cache.dispose();
    this.prefix = null;
  }
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
