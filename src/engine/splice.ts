// The decoder's inputs_embeds for a range of the prompt (docs/model.md "Prompt", embedding substitution;
// omchat_qwen2_5_vl.py prepare_inputs_labels_for_qwen2_5_vl_multimodal L289-372): text slots take their
// token embedding, the N image slots the projected ViT tokens in order, and region slot k box k's
// projected region feature.
import type { PromptSequence } from './prompt/sequence.ts';

/** Ids of the text slots in [from, to), in order: what embed_tokens must embed. */
export function textIds(seq: PromptSequence, from: number, to: number): number[] {
  const ids: number[] = [];
  for (let i = from; i < to; i++) if (seq.slots[i].kind === 'text') ids.push(seq.ids[i]);
  return ids;
}

export interface SpliceSources {
  /** (T, H) embeddings of textIds(seq, from, to). */
  text: Float32Array;
  /** (N, H) image embeddings, N = seq.imageTokens. */
  image: Float32Array;
  /** (K, H) region embeddings, box order; may be empty when [from, to) holds no region slot (conversation.ts ImagePrefix). */
  regions: Float32Array;
}

/** (to − from, H) inputs_embeds rows for positions [from, to). */
export function spliceEmbeddings(seq: PromptSequence, from: number, to: number, src: SpliceSources, H: number): Float32Array {
  if (src.image.length !== seq.imageTokens * H) throw new Error(`splice: ${src.image.length / H} image embeddings for ${seq.imageTokens} image slots`);
  const holdsRegions = seq.regionPositions.some((p) => p >= from && p < to);
  if ((holdsRegions || src.regions.length > 0) && src.regions.length !== seq.regionPositions.length * H) throw new Error(`splice: ${src.regions.length / H} region embeddings for ${seq.regionPositions.length} boxes`);
  const out = new Float32Array((to - from) * H); // (S, H)
  let t = 0;
  for (let i = from; i < to; i++) {
    const slot = seq.slots[i];
    const row =
      slot.kind === 'text' ? src.text.subarray(t * H, ++t * H)
      : slot.kind === 'image' ? src.image.subarray((i - seq.imageStart) * H, (i - seq.imageStart + 1) * H)
      : src.regions.subarray(slot.region * H, (slot.region + 1) * H);
    out.set(row, (i - from) * H);
  }
  if (t * H !== src.text.length) throw new Error(`splice: ${src.text.length / H} text embeddings for ${t} text slots`);
  return out;
}
