// Boxes the engine's detector proposed for the current image, and how many of them are shown: the score
// slider keeps proposals scoring at least `minScore` in `boxes`, so what is on screen is what can be asked
// about. Proposal boxes keep an id per proposal, so moving the slider keeps the selection.

import type { StateCreator } from 'zustand';
import { MAX_REGIONS } from '../../model-folder/config.ts';
import type { ScoredBox } from '../../protocol/messages.ts';
import type { AppBox } from './boxesSlice.ts';
import type { AppState } from './store.ts';

export type ProposalStatus =
  | { kind: 'idle' }
  | { kind: 'finding' }
  | { kind: 'done' }
  /** The model has no detector, or proposing failed: boxes are drawn by hand. */
  | { kind: 'unavailable'; message: string };

/** Default threshold: YOLOX proposals go down to 0.01; the first view shows the confident ones. */
export const DEFAULT_MIN_SCORE = 0.3;

export interface ProposalsSlice {
  proposalStatus: ProposalStatus;
  proposals: ScoredBox[];
  minScore: number;
  setProposalStatus(status: ProposalStatus): void;
  /** Replaces the proposals (re-run), dropping the old ones from `boxes`; drawn boxes stay. */
  setProposals(imageId: string, proposals: ScoredBox[]): void;
  setMinScore(minScore: number): void;
}

/**
 * The shown proposals as boxes, highest score first, at most `room` of them: the model takes MAX_REGIONS boxes in
 * all, and boxes the person drew take their places first (the tiled proposer fills all 100 on most photos).
 */
export function proposalBoxes(imageId: string, proposals: readonly ScoredBox[], minScore: number, room = MAX_REGIONS): AppBox[] {
  return proposals
    .map((p, i) => ({ id: `proposal-${imageId}-${i}`, box: p.box, source: 'proposal' as const, score: p.score }))
    .filter((b) => b.score >= minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.max(0, room));
}

export const createProposalsSlice: StateCreator<AppState, [], [], ProposalsSlice> = (set, get) => {
  /** `boxes` with the proposals re-derived: proposals first (by score), then the drawn boxes. */
  const withProposals = (imageId: string, proposals: readonly ScoredBox[], minScore: number) => {
    const s = get();
    const drawn = s.boxes.filter((b) => b.source === 'drawn');
    const boxes = [...proposalBoxes(imageId, proposals, minScore, MAX_REGIONS - drawn.length), ...drawn];
    const ids = new Set(boxes.map((b) => b.id));
    return { boxes, selected: s.selected.filter((id) => ids.has(id)) };
  };
  return {
    proposalStatus: { kind: 'idle' },
    proposals: [],
    minScore: DEFAULT_MIN_SCORE,
    setProposalStatus: (proposalStatus) => set({ proposalStatus }),
    setProposals: (imageId, proposals) => set({ proposals, proposalStatus: { kind: 'done' }, ...withProposals(imageId, proposals, get().minScore) }),
    setMinScore: (minScore) => {
      const image = get().image;
      set({ minScore, ...(image ? withProposals(image.id, get().proposals, minScore) : {}) });
    },
  };
};
