// Named, module-level selectors (xyflow style): components subscribe to exactly what they draw.
// Selectors that build arrays or objects are used with `useShallow`.

import type { Backend, PixelBox } from '../../protocol/messages.ts';
import { presetById, whyNotAskable, type Preset } from '../ask/presets.ts';
import { decoderSession, fallbackNote } from '../model/backend.ts';
import type { OverlayInput } from '../overlay/items.ts';
import type { AppState } from './store.ts';

export const selectImage = (s: AppState) => s.image;
export const selectBoxes = (s: AppState) => s.boxes;
export const selectSelectedIds = (s: AppState) => s.selected;
export const selectHovered = (s: AppState) => s.hovered;
export const selectProbe = (s: AppState) => s.probe;
export const selectError = (s: AppState) => s.error;
export const selectDecoding = (s: AppState) => s.decoding;
export const selectAsking = (s: AppState) => s.asking !== null;

/** Region indices of the selected boxes, ascending (the order the prompt lists them in). */
export const selectSelectedIndices = (s: AppState): number[] =>
  s.boxes.flatMap((b, i) => (s.selected.includes(b.id) ? [i] : []));

export const selectPixelBoxes = (s: AppState): PixelBox[] => s.boxes.map((b) => b.box);

export const selectPreset = (s: AppState): Preset => presetById(s.presetId);

export const selectWhyNotAskable = (s: AppState): string | null =>
  whyNotAskable(presetById(s.presetId), s.text, s.selected.length, s.image !== null, s.model.kind === 'ready', s.budget);

/** The backend the loaded model's decoder runs on; null until a model is ready. */
export const selectModelBackend = (s: AppState): Backend | null =>
  s.model.kind === 'ready' ? decoderSession(s.model.ready.sessions)?.backend ?? null : null;

/** Why the loaded model left WebGPU mid-session and where it went, in words; null when it never moved. */
export const selectFallbackNote = (s: AppState): string | null => {
  const now = selectModelBackend(s);
  return s.model.kind === 'ready' && s.model.fallback && now ? fallbackNote(s.model.fallback, now) : null;
};

export const selectTurns = (s: AppState) => s.turns;
export const selectModel = (s: AppState) => s.model;
export const selectProposalStatus = (s: AppState) => s.proposalStatus;
export const selectPreparation = (s: AppState) => s.preparation;

/** What the overlay items are derived from (overlay/items.ts), as stable references; use with `useShallow`. */
export const selectOverlayInput = (s: AppState): OverlayInput => ({ boxes: s.boxes, selected: s.selected, hovered: s.hovered, turns: s.turns, onlyCited: s.onlyCited });
