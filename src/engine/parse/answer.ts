// Reads VLM-FO1's answer text (docs/model.md "Answer grammar"; `mm_utils.py` extract_predictions_to_indexes L346-369,
// `evaluation/eval_countbench.py` L146-153):
// - grounding groups: the reference regex `<ground>(.*?)</ground><objects>(.*?)</objects>` (Python `.`:
//   anything but "\n"; no whitespace allowed between the tags), labels strip()ped, repeated labels unioned;
// - every `<regionN>` anywhere (captions and reasoning cite regions without groups);
// - `<think>…</think>` / `<answer>…</answer>` sections;
// - the count: drop the region tags, then the first integer.
// Each cited index maps to the caller's box (original image pixels); an index with no box is dropped and
// listed in `dropped`. Works on partial text too, so a streaming UI can parse whatever has arrived.

import { ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, THINK_OPEN } from '../prompt/fo1-tokens.ts';

/** A label and the boxes cited for it (first-appearance order, no repeats, only indices that have a box). */
export interface GroundGroup {
  label: string;
  indices: number[];
}

/** One cited box: from a grounding group (with its label) or cited bare in the text (label null). */
export interface CitedRegion<B> {
  index: number;
  label: string | null;
  box: B;
}

export interface Section {
  /** Inner text, trimmed. */
  text: string;
  /** False while the closing tag has not arrived (streaming, or the answer was cut off). */
  closed: boolean;
}

export interface ParsedAnswer<B> {
  text: string;
  /** Complete groups, merged by label, in order of first appearance. */
  groups: GroundGroup[];
  /** A trailing `<ground>label</ground><objects>…` still missing `</objects>` (the reference ignores it). */
  openGroup: GroundGroup | null;
  /** Every index cited anywhere, first-appearance order (dropped ones included). */
  mentions: number[];
  /** Group pairs (label, index), then cited indices outside every complete group (label null). */
  regions: CitedRegion<B>[];
  /** Cited indices with no box, first-appearance order. */
  dropped: number[];
  think: Section | null;
  answer: Section | null;
  /** First integer once region tags are removed; meaningful for counting answers. */
  count: number | null;
}

const GROUP = /<ground>([^\n]*?)<\/ground><objects>([^\n]*?)<\/objects>/g;
const OPEN_GROUP_AT_END = /<ground>([^\n]*?)<\/ground><objects>((?:(?!<\/objects>)[^\n])*)$/;
const REGION = /<region(\d+)>/g;
const FIRST_INTEGER = /\d+/;

export function parseAnswer<B>(text: string, boxes: readonly B[]): ParsedAnswer<B> {
  const hasBox = (i: number) => i < boxes.length;
  const { groups, end } = completeGroups(text);
  const open = OPEN_GROUP_AT_END.exec(text.slice(end));
  const mentions = regionIndices(text);
  const grouped = new Set(groups.flatMap((g) => g.indices));

  const regions: CitedRegion<B>[] = [];
  for (const g of groups) for (const index of g.indices) if (hasBox(index)) regions.push({ index, label: g.label, box: boxes[index] });
  for (const index of mentions) if (!grouped.has(index) && hasBox(index)) regions.push({ index, label: null, box: boxes[index] });

  const keep = (g: GroundGroup): GroundGroup => ({ label: g.label, indices: g.indices.filter(hasBox) });
  return {
    text,
    groups: groups.map(keep),
    openGroup: open ? keep({ label: open[1].trim(), indices: regionIndices(open[2]) }) : null,
    mentions,
    regions,
    dropped: mentions.filter((i) => !hasBox(i)),
    think: section(text, THINK_OPEN, THINK_CLOSE),
    answer: section(text, ANSWER_OPEN, ANSWER_CLOSE),
    count: extractCount(text),
  };
}

/** The CountBench rule: remove `<regionN>` tags, take the first integer. */
export function extractCount(text: string): number | null {
  const m = FIRST_INTEGER.exec(text.replace(REGION, ''));
  return m ? Number(m[0]) : null;
}

function completeGroups(text: string): { groups: GroundGroup[]; end: number } {
  const byLabel = new Map<string, number[]>();
  let end = 0;
  for (const m of text.matchAll(GROUP)) {
    const label = m[1].trim();
    const indices = byLabel.get(label) ?? [];
    for (const i of regionIndices(m[2])) if (!indices.includes(i)) indices.push(i);
    byLabel.set(label, indices);
    end = m.index + m[0].length;
  }
  return { groups: [...byLabel].map(([label, indices]) => ({ label, indices })), end };
}

function regionIndices(text: string): number[] {
  const seen = new Set<number>();
  for (const m of text.matchAll(REGION)) seen.add(Number(m[1]));
  return [...seen];
}

function section(text: string, open: string, close: string): Section | null {
  const start = text.indexOf(open);
  if (start < 0) return null;
  const from = start + open.length;
  const stop = text.indexOf(close, from);
  if (stop >= 0) return { text: text.slice(from, stop).trim(), closed: true };
  return { text: withoutPartialTag(text.slice(from), close).trim(), closed: false };
}

/** Mid-stream the closing tag can arrive in pieces ("</thi"); that fragment is not content. */
function withoutPartialTag(text: string, tag: string): string {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return text.slice(0, -n);
  }
  return text;
}
