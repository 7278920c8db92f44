// The task presets of the question box (docs/model.md "Prompt", task templates) as the UI sees them: a label, what the
// text field means for this task, whether it needs selected regions, and the typed `Task` it sends.
// The prompt wording itself is the engine's (src/engine/prompt); the app never builds prompt text.

import type { ContextReport, Task, TaskPreset } from '../../protocol/messages.ts';
import { tooLong } from './budget.ts';

export interface Preset {
  id: TaskPreset;
  label: string;
  /** The text field's label and placeholder; null when the task takes no text. */
  input: { label: string; placeholder: string } | null;
  /** 'required': asks about the selected regions; 'none': about the whole image. */
  regions: 'required' | 'none' | 'optional';
  toTask(text: string): Task;
}

export const PRESETS: readonly Preset[] = [
  { id: 'region-caption-brief', label: 'Describe region (brief)', input: null, regions: 'required', toTask: () => ({ preset: 'region-caption-brief' }) },
  { id: 'region-caption-detailed', label: 'Describe region (detailed)', input: null, regions: 'required', toTask: () => ({ preset: 'region-caption-detailed' }) },
  { id: 'region-ocr', label: 'Read text in region', input: null, regions: 'required', toTask: () => ({ preset: 'region-ocr' }) },
  { id: 'detect', label: 'Detect …', input: { label: 'What to detect', placeholder: 'e.g. person, bicycle' }, regions: 'none', toTask: (label) => ({ preset: 'detect', label }) },
  { id: 'count', label: 'Count …', input: { label: 'What to count', placeholder: 'e.g. cars' }, regions: 'none', toTask: (label) => ({ preset: 'count', label }) },
  { id: 'visual-prompt-detect', label: 'Find more like this region', input: null, regions: 'required', toTask: () => ({ preset: 'visual-prompt-detect' }) },
  { id: 'detect-all', label: 'Detect all objects', input: null, regions: 'none', toTask: () => ({ preset: 'detect-all' }) },
  { id: 'grounded-caption', label: 'Describe whole image with grounding', input: null, regions: 'none', toTask: () => ({ preset: 'grounded-caption' }) },
  { id: 'reasoning', label: 'Reason about …', input: { label: 'Question', placeholder: 'e.g. Is the person holding anything?' }, regions: 'optional', toTask: (question) => ({ preset: 'reasoning', question }) },
  { id: 'free', label: 'Free question', input: { label: 'Question', placeholder: 'Ask anything about the image or the selected regions' }, regions: 'optional', toTask: (text) => ({ preset: 'free', text }) },
];

export function presetById(id: TaskPreset): Preset {
  const p = PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`unknown preset "${id}"`);
  return p;
}

/** Why the question cannot be asked yet (shown next to the disabled Ask button), or null when it can. */
export function whyNotAskable(preset: Preset, text: string, selectedCount: number, hasImage: boolean, modelReady: boolean, budget: ContextReport | null = null): string | null {
  if (!hasImage) return 'Add an image first.';
  if (!modelReady) return 'Load a model first (the Model button at the top).';
  if (preset.input && text.trim() === '') return `${preset.input.label} is empty.`;
  if (preset.regions === 'required' && selectedCount === 0) return 'Select at least one box (click it, or drag to draw one).';
  return tooLong(budget);
}
