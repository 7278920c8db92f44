import { describe, expect, it } from 'vitest';
import type { Turn } from '../store/askSlice.ts';
import { resultsJson } from './results.ts';

describe('results JSON', () => {
  it('lists boxes and cited regions in original image pixels, as they were when asked', () => {
    const boxes = [{ id: 'p', box: { x1: 10.4, y1: 20.6, x2: 110.2, y2: 220.9 }, source: 'proposal' as const, score: 0.9 }, { id: 'd', box: { x1: 0, y1: 0, x2: 50, y2: 50 }, source: 'drawn' as const }];
    const timings = { preprocessMs: 1, visionMs: 2, regionsMs: 3, prefillMs: 4, ttftMs: 5, decodeTokPerS: 6 };
    const turn: Turn = {
      id: 't1', question: 'Detect dog', task: { preset: 'detect', label: 'dog' }, regions: [], boxIds: ['p', 'd'], boxes: boxes.map((b) => b.box),
      text: 'x', status: 'done', error: null,
      answer: { text: '<ground>dog</ground><objects><region1></objects>', regions: [{ label: 'dog', indices: [1] }], droppedIndices: [], timings, backend: 'webgpu', detail: 'medium', imageTokens: 391, prefixReused: false, stop: 'stop-token' },
    };
    const json = resultsJson({ model: 'demo', image: { name: 'a.jpg', width: 640, height: 480 }, boxes, turns: [turn] });
    expect(json.boxes).toEqual([{ region: 0, box: { x1: 10, y1: 21, x2: 110, y2: 221 }, source: 'proposal', score: 0.9 }, { region: 1, box: { x1: 0, y1: 0, x2: 50, y2: 50 }, source: 'drawn' }]);
    expect(json.conversation[0]).toMatchObject({ answer: turn.answer!.text, cited: [{ label: 'dog', region: 1, box: { x1: 0, y1: 0, x2: 50, y2: 50 } }], backend: 'webgpu', timings });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json); // plain data: survives a JSON round trip
  });
});
