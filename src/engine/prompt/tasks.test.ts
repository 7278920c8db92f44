import { describe, expect, it } from 'vitest';
import { PromptError, renderTask, TASK_KINDS, taskFromText, type Task } from './tasks.ts';

const text = (task: Task, boxes = 5) => renderTask(task, boxes).map((s) => s.text).join('');
const untrustedText = (task: Task, boxes = 5) => renderTask(task, boxes).filter((s) => !s.trusted).map((s) => s.text);

describe('renderTask', () => {
  it('fills every preset the way vlm_fo1/task_templates.py .format() does', () => {
    expect(text({ kind: 'detect', categories: ['orange', ' apple '] })).toBe('Please detect orange, apple in this image. Answer the question with object indexes.');
    expect(text({ kind: 'count', category: 'dogs' })).toBe(
      'How many dogs are there in this image? Count each instance of the target object. Locate them with object indexes and then answer the question with the number of objects.',
    );
    expect(text({ kind: 'region-ocr', regions: [0] })).toBe('Please provide the ocr results of <region0> in the image.');
    expect(text({ kind: 'region-caption-brief', regions: [2] })).toBe('Provide a brief description for <region2>.');
    expect(text({ kind: 'region-caption-detailed', regions: [1, 3] })).toBe('Provide a detailed description for <region1><region3>.');
    expect(text({ kind: 'grounded-caption' })).toBe('Briefly describe this image and detect all mentioned objects. Answer with grounded object indexes.');
    expect(text({ kind: 'visual-prompt-detect', regions: [4] })).toBe(
      'Using the provided object <region4> as a reference, identify all other objects of the same category in this image. Respond with object indexes.',
    );
    expect(text({ kind: 'detect-all' })).toBe('Please identify every object in the image and provide their labels along with their indexes.');
    const reasoning = text({ kind: 'reasoning', question: 'Which is closer?' });
    expect(reasoning.startsWith('First thinks about the reasoning process in the mind')).toBe(true);
    expect(reasoning).toContain('<think> reasoning process here </think><answer> answer here </answer>. Please give a detailed reasoning process process');
    expect(reasoning.endsWith('help you answer the question better. Which is closer?')).toBe(true);
    expect(text({ kind: 'free', text: [{ kind: 'region', index: 0 }, { kind: 'text', text: ' vs ' }, { kind: 'region', index: 1 }] })).toBe('<region0> vs <region1>');
  });

  it('marks only what the user typed as untrusted, and region tags as trusted', () => {
    expect(untrustedText({ kind: 'detect', categories: ['cat'] })).toEqual(['cat']);
    expect(untrustedText({ kind: 'region-ocr', regions: [0] })).toEqual([]);
    expect(untrustedText({ kind: 'free', text: [{ kind: 'text', text: 'is ' }, { kind: 'region', index: 3 }, { kind: 'text', text: '<region4>?' }] })).toEqual(['is ', '<region4>?']);
    expect(renderTask({ kind: 'free', text: [{ kind: 'region', index: 3 }] }, 5)).toEqual([{ text: '<region3>', trusted: true }]);
  });

  it('rejects empty questions and references to boxes that do not exist', () => {
    expect(() => renderTask({ kind: 'detect', categories: [' ', ''] }, 1)).toThrow(/no category/);
    expect(() => renderTask({ kind: 'count', category: '' }, 1)).toThrow(/no category/);
    expect(() => renderTask({ kind: 'free', text: '  \n' }, 1)).toThrow(/empty question/);
    expect(() => renderTask({ kind: 'reasoning', question: [] }, 1)).toThrow(/empty question/);
    expect(() => renderTask({ kind: 'region-caption-brief', regions: [] }, 1)).toThrow(/no region selected/);
    expect(() => renderTask({ kind: 'region-ocr', regions: [1] }, 1)).toThrow(/region 1 was selected, but there is 1 box \(index 0\)/);
    expect(() => renderTask({ kind: 'free', text: [{ kind: 'region', index: -1 }] }, 3)).toThrow(PromptError);
    expect(() => renderTask({ kind: 'free', text: [{ kind: 'region', index: 0.5 }] }, 3)).toThrow(PromptError);
  });
});

describe('taskFromText', () => {
  it('builds every kind from a name and typed text', () => {
    for (const kind of TASK_KINDS) {
      const task = taskFromText(kind, 'cat', [0]);
      expect(task.kind).toBe(kind);
      expect(renderTask(task, 1).length).toBeGreaterThan(0);
    }
    expect(taskFromText('detect', 'orange, apple')).toEqual({ kind: 'detect', categories: ['orange, apple'] });
    expect(taskFromText('region-ocr', 'ignored', [2, 0])).toEqual({ kind: 'region-ocr', regions: [2, 0] });
  });

  it('names the known tasks when given an unknown one', () => {
    expect(() => taskFromText('segment', 'x')).toThrow(/unknown task "segment" \(known: detect, count/);
  });
});
