// The boxes over the image (in image pixels) and which are selected. A box's region index, the N of
// `<regionN>` in prompts and answers, is its position in `boxes`; `id` only keeps React keys and the
// selection stable while boxes are removed.

import type { StateCreator } from 'zustand';
import { MAX_REGIONS } from '../../model-folder/config.ts';
import type { PixelBox } from '../../protocol/messages.ts';
import type { AppState } from './store.ts';

export interface AppBox {
  id: string;
  box: PixelBox;
  source: 'drawn' | 'proposal';
  score?: number;
}

export interface BoxesSlice {
  boxes: AppBox[];
  /** Ids of the selected boxes, in the order they were selected. */
  selected: string[];
  /** The box whose box or chip the pointer (or focus) is on, so the other one lights up too. */
  hovered: string | null;
  setHovered(id: string | null): void;
  /** Adds a drawn box and makes it the whole selection (the usual next step is asking about it). */
  addBox(box: PixelBox): void;
  updateBox(index: number, box: PixelBox): void;
  /** Selects box `index` alone, or toggles it in the selection when `additive`. */
  selectBox(index: number, additive: boolean): void;
  clearSelection(): void;
  removeSelected(): void;
  /** Delete on a focused box: removes the selection if there is one, else that box. */
  removeSelectedOr(index: number): void;
  clearBoxes(): void;
}

let nextId = 0;
const newBoxId = (): string => `box-${++nextId}`;

export const createBoxesSlice: StateCreator<AppState, [], [], BoxesSlice> = (set, get) => ({
  boxes: [],
  selected: [],
  hovered: null,
  setHovered: (hovered) => set({ hovered }),
  addBox: (box) => {
    const b: AppBox = { id: newBoxId(), box, source: 'drawn' };
    set((s) => {
      // The model takes MAX_REGIONS boxes: a drawn box takes the place of the lowest-scoring shown proposal.
      const over = s.boxes.length + 1 - MAX_REGIONS;
      const lowest = new Set(over > 0 ? s.boxes.filter((x) => x.source === 'proposal').sort((x, y) => (x.score ?? 0) - (y.score ?? 0)).slice(0, over).map((x) => x.id) : []);
      return { boxes: [...s.boxes.filter((x) => !lowest.has(x.id)), b], selected: [b.id] };
    });
  },
  updateBox: (index, box) => set((s) => ({ boxes: s.boxes.map((b, i) => (i === index ? { ...b, box } : b)) })),
  selectBox: (index, additive) => {
    const id = get().boxes[index]?.id;
    if (!id) return;
    set((s) => {
      if (!additive) return { selected: [id] };
      return { selected: s.selected.includes(id) ? s.selected.filter((x) => x !== id) : [...s.selected, id] };
    });
  },
  clearSelection: () => set({ selected: [] }),
  removeSelected: () => set((s) => ({ boxes: s.boxes.filter((b) => !s.selected.includes(b.id)), selected: [] })),
  removeSelectedOr: (index) => {
    const s = get();
    if (s.selected.length > 0) s.removeSelected();
    else set({ boxes: s.boxes.filter((_, i) => i !== index) });
  },
  clearBoxes: () => set({ boxes: [], selected: [] }),
});
