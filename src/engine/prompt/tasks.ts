// The task templates of VLM-FO1 (`vlm_fo1/task_templates.py`; docs/model.md "Prompt") as typed presets, plus free text.
// A preset renders to text segments: the template's own words are trusted (its <think>/<answer> tags are
// tokenized as the reference tokenizes them), what the user typed is never trusted (it cannot produce a
// control token), and regions enter only as structured references rendered here into `<regionN>`.

import { regionTag } from './fo1-tokens.ts';
import type { TextSegment } from './tokenizer.ts';

/** A piece of user-composed text: typed words, or a reference to the caller's box `index`. */
export type PromptPart = { kind: 'text'; text: string } | { kind: 'region'; index: number };

/** What the user wrote: plain text, or text interleaved with box references. */
export type UserText = string | readonly PromptPart[];

export type Task =
  /** OD / REC: one or more categories or referring expressions, comma-joined as in the gradio demo. */
  | { kind: 'detect'; categories: readonly string[] }
  | { kind: 'count'; category: string }
  | { kind: 'region-ocr'; regions: readonly number[] }
  | { kind: 'region-caption-brief'; regions: readonly number[] }
  | { kind: 'region-caption-detailed'; regions: readonly number[] }
  | { kind: 'grounded-caption' }
  /** Find the other objects of the same category as the referenced box(es). */
  | { kind: 'visual-prompt-detect'; regions: readonly number[] }
  | { kind: 'reasoning'; question: UserText }
  | { kind: 'detect-all' }
  | { kind: 'free'; text: UserText };

export type TaskKind = Task['kind'];

/** Verbatim templates; `{}` is the slot (typos included: they are what the model was trained on). */
export const TASK_TEMPLATES: Readonly<Record<TaskKind, string>> = {
  detect: 'Please detect {} in this image. Answer the question with object indexes.',
  count:
    'How many {} are there in this image? Count each instance of the target object. Locate them with object indexes and then answer the question with the number of objects.',
  'region-ocr': 'Please provide the ocr results of {} in the image.',
  'region-caption-brief': 'Provide a brief description for {}.',
  'region-caption-detailed': 'Provide a detailed description for {}.',
  'grounded-caption': 'Briefly describe this image and detect all mentioned objects. Answer with grounded object indexes.',
  'visual-prompt-detect':
    'Using the provided object {} as a reference, identify all other objects of the same category in this image. Respond with object indexes.',
  reasoning:
    'First thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think><answer> answer here </answer>. Please give a detailed reasoning process process and provide image regions that can help you answer the question better. {}',
  'detect-all': 'Please identify every object in the image and provide their labels along with their indexes.',
  free: '{}',
};

export const TASK_KINDS = Object.keys(TASK_TEMPLATES) as TaskKind[];

export class PromptError extends Error {
  override name = 'PromptError';
}

/** The task as the segments of the prompt text (the PROMPT of docs/model.md's token sequence), checked against `boxCount`. */
export function renderTask(task: Task, boxCount: number): TextSegment[] {
  const [before, after] = splitTemplate(TASK_TEMPLATES[task.kind]);
  const slot = slotSegments(task, boxCount);
  return [trusted(before), ...slot, trusted(after)].filter((s) => s.text.length > 0);
}

/**
 * A task from a kind name and what a user typed (CLI `--task NAME --prompt TEXT`, the UI's text box):
 * detect/count take the text as categories, region tasks take the selected boxes, reasoning/free take it
 * as the question, grounded-caption/detect-all need neither.
 */
export function taskFromText(kind: string, text: string, regions: readonly number[] = []): Task {
  const k = kind as TaskKind;
  switch (k) {
    case 'detect':
      return { kind: k, categories: [text] };
    case 'count':
      return { kind: k, category: text };
    case 'region-ocr':
    case 'region-caption-brief':
    case 'region-caption-detailed':
    case 'visual-prompt-detect':
      return { kind: k, regions };
    case 'grounded-caption':
    case 'detect-all':
      return { kind: k };
    case 'reasoning':
      return { kind: k, question: text };
    case 'free':
      return { kind: k, text };
    default:
      throw new PromptError(`unknown task ${JSON.stringify(kind)} (known: ${TASK_KINDS.join(', ')})`);
  }
}

function slotSegments(task: Task, boxCount: number): TextSegment[] {
  switch (task.kind) {
    case 'detect': {
      const names = task.categories.map((c) => c.trim()).filter((c) => c.length > 0);
      if (names.length === 0) throw new PromptError('detect: no category given');
      return [untrusted(names.join(', '))];
    }
    case 'count':
      return [untrusted(nonEmpty(task.category, 'count: no category given'))];
    case 'region-ocr':
    case 'region-caption-brief':
    case 'region-caption-detailed':
    case 'visual-prompt-detect':
      if (task.regions.length === 0) throw new PromptError(`${task.kind}: no region selected`);
      // Several boxes: their tags back to back, as the gradio demo appends them.
      return task.regions.map((i) => trusted(regionRef(i, boxCount)));
    case 'grounded-caption':
    case 'detect-all':
      return [];
    case 'reasoning':
      return userSegments(task.question, boxCount, 'reasoning: empty question');
    case 'free':
      return userSegments(task.text, boxCount, 'empty question');
  }
}

function userSegments(text: UserText, boxCount: number, emptyMessage: string): TextSegment[] {
  const parts: readonly PromptPart[] = typeof text === 'string' ? [{ kind: 'text', text }] : text;
  const segments = parts.map((p) => (p.kind === 'region' ? trusted(regionRef(p.index, boxCount)) : untrusted(p.text)));
  if (!segments.some((s) => s.text.trim().length > 0)) throw new PromptError(emptyMessage);
  return segments.filter((s) => s.text.length > 0);
}

function regionRef(index: number, boxCount: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= boxCount) {
    // The region index comes from the selected boxes (the CLI's --regions), never from typed text.
    const boxes = boxCount === 0 ? 'there are no boxes' : boxCount === 1 ? 'there is 1 box (index 0)' : `there are ${boxCount} boxes (indices 0–${boxCount - 1})`;
    throw new PromptError(`region ${index} was selected, but ${boxes}`);
  }
  return regionTag(index);
}

function nonEmpty(text: string, message: string): string {
  if (text.trim().length === 0) throw new PromptError(message);
  return text.trim();
}

function splitTemplate(template: string): [string, string] {
  const at = template.indexOf('{}');
  if (at < 0) return [template, ''];
  return [template.slice(0, at), template.slice(at + 2)];
}

const trusted = (text: string): TextSegment => ({ text, trusted: true });
const untrusted = (text: string): TextSegment => ({ text, trusted: false });
