// What the overlay draws for each box — colour, caption, highlight state — derived from the store in one
// place, so the on-screen SVG (components/BoxOverlay.tsx) and the exported PNG (export/render-png.ts) draw
// the same thing. Boxes cited by the latest answer take their label's colour and show the label; the
// "only cited" toggle hides the rest.

import type { PixelBox } from '../../protocol/messages.ts';
import type { Turn } from '../store/askSlice.ts';
import type { AppBox } from '../store/boxesSlice.ts';

export interface OverlayItem {
  id: string;
  /** Region index: the box's position in `boxes`. */
  index: number;
  box: PixelBox;
  color: string;
  /** "3", or "3 · person" for a labelled citation. */
  caption: string;
  /** Labels the latest answer gives this box ('' for a bare `<regionN>` citation); empty when not cited. */
  labels: string[];
  selected: boolean;
  hovered: boolean;
}

/** Distinct hues for labels, in the order an answer names them (readable on photos, light and dark). */
const LABEL_COLORS = ['#ff3b5c', '#18c964', '#ffb020', '#7c5cff', '#00b8d9', '#ff7a00', '#e83e8c', '#2fbf71', '#3b82f6', '#c0ca33'];

/** A distinct, readable hue per region index, for boxes no answer labelled. */
export function regionColor(index: number): string {
  return `hsl(${(index * 47 + 200) % 360} 85% 55%)`;
}

export function labelColor(labelOrder: number): string {
  return LABEL_COLORS[labelOrder % LABEL_COLORS.length];
}

/** The turn whose answer the overlay shows: the latest answered one. */
export function latestAnswered(turns: readonly Turn[]): Turn | null {
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i].answer) return turns[i];
  return null;
}

/** Box id → labels that `turn`'s answer cites it with, through the box ids as they were when it was asked. */
export function citationsOf(turn: Turn | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of turn?.answer?.regions ?? []) {
    for (const i of r.indices) {
      const id = turn!.boxIds[i];
      if (id === undefined) continue;
      const labels = out.get(id) ?? [];
      if (!labels.includes(r.label)) labels.push(r.label);
      out.set(id, labels);
    }
  }
  return out;
}

export interface OverlayInput {
  boxes: readonly AppBox[];
  selected: readonly string[];
  hovered: string | null;
  turns: readonly Turn[];
  onlyCited: boolean;
}

export function overlayItems({ boxes, selected, hovered, turns, onlyCited }: OverlayInput): OverlayItem[] {
  const turn = latestAnswered(turns);
  const cited = citationsOf(turn);
  const labelOrder = new Map((turn?.answer?.regions ?? []).filter((r) => r.label !== '').map((r, k) => [r.label, k]));
  const items = boxes.map((b, index): OverlayItem => {
    const labels = cited.get(b.id) ?? [];
    const named = labels.find((l) => l !== '');
    return {
      id: b.id,
      index,
      box: b.box,
      color: named === undefined ? regionColor(index) : labelColor(labelOrder.get(named)!),
      caption: named === undefined ? String(index) : `${index} · ${labels.filter((l) => l !== '').join(', ')}`,
      labels,
      selected: selected.includes(b.id),
      hovered: hovered === b.id,
    };
  });
  // "Only cited" with nothing cited would hide everything: it applies once an answer cites a box.
  return onlyCited && cited.size > 0 ? items.filter((it) => it.labels.length > 0) : items;
}
