// The protocol's task (what the page sends: a preset plus the indices of the selected boxes) as the
// prompt's typed task (src/engine/prompt/tasks.ts). Region tasks cite the selected boxes; a free or
// reasoning question with selected boxes gets their tags appended after the text, as the gradio demo
// appends `<region{i}>` for the drawn boxes (docs/model.md "Prompt", task templates).
import type { Task as AskTask } from './api.ts';
import { PromptError, type PromptPart, type Task } from './prompt/tasks.ts';

export function promptTask(task: AskTask, regions: readonly number[]): Task {
  switch (task.preset) {
    case 'region-caption-brief':
      return { kind: 'region-caption-brief', regions };
    case 'region-caption-detailed':
      return { kind: 'region-caption-detailed', regions };
    case 'region-ocr':
      return { kind: 'region-ocr', regions };
    case 'visual-prompt-detect':
      return { kind: 'visual-prompt-detect', regions };
    case 'detect':
      return { kind: 'detect', categories: [task.label] };
    case 'count':
      return { kind: 'count', category: task.label };
    case 'grounded-caption':
      return { kind: 'grounded-caption' };
    case 'detect-all':
      return { kind: 'detect-all' };
    case 'reasoning':
      return { kind: 'reasoning', question: withRegions(task.question, regions) };
    case 'free':
      return { kind: 'free', text: withRegions(task.text, regions) };
  }
}

/** Box tags alone are not a question: the typed text must say something. */
function withRegions(text: string, regions: readonly number[]): PromptPart[] {
  if (text.trim().length === 0) throw new PromptError('the question is empty: type what you want to know');
  return [{ kind: 'text', text }, ...regions.map((index): PromptPart => ({ kind: 'region', index }))];
}
