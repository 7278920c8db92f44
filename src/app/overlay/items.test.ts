import { describe, expect, it } from 'vitest';
import type { Answer } from '../../protocol/messages.ts';
import type { Turn } from '../store/askSlice.ts';
import type { AppBox } from '../store/boxesSlice.ts';
import { labelColor, overlayItems, regionColor } from './items.ts';

const box = (id: string, x: number): AppBox => ({ id, box: { x1: x, y1: 0, x2: x + 10, y2: 10 }, source: 'drawn' });

function turn(boxIds: string[], regions: Answer['regions']): Turn {
  const answer: Answer = { text: '', regions, droppedIndices: [], timings: { preprocessMs: 0, visionMs: 0, regionsMs: 0, prefillMs: 0, ttftMs: 0, decodeTokPerS: 0 }, backend: 'wasm', detail: 'low', imageTokens: 391, prefixReused: false, stop: 'stop-token' };
  return { id: 't', question: 'q', task: { preset: 'detect', label: 'x' }, regions: [], boxIds, boxes: [], text: '', answer, status: 'done', error: null };
}

describe('overlay items', () => {
  const boxes = [box('a', 0), box('b', 20), box('c', 40)];

  it('colours and captions boxes by the labels the latest answer cites them with', () => {
    const items = overlayItems({ boxes, selected: ['c'], hovered: 'a', turns: [turn(['a', 'b', 'c'], [{ label: 'dog', indices: [2] }, { label: 'cat', indices: [0, 2] }])], onlyCited: false });
    expect(items.map((i) => i.caption)).toEqual(['0 · cat', '1', '2 · dog, cat']);
    expect(items.map((i) => i.color)).toEqual([labelColor(1), regionColor(1), labelColor(0)]);
    expect(items.map((i) => [i.selected, i.hovered])).toEqual([[false, true], [false, false], [true, false]]);
  });

  it('maps cited indices through the boxes as they were asked about, and shows only cited ones on request', () => {
    // Asked when the boxes were [b, c]; box a was added in front since, so region 1 of that answer is c.
    const items = overlayItems({ boxes, selected: [], hovered: null, turns: [turn(['b', 'c'], [{ label: '', indices: [1] }])], onlyCited: true });
    expect(items.map((i) => [i.id, i.index, i.caption, i.labels])).toEqual([['c', 2, '2', ['']]]);
  });

  it('shows every box when "only cited" is on but nothing is cited', () => {
    expect(overlayItems({ boxes, selected: [], hovered: null, turns: [turn(['a'], [])], onlyCited: true })).toHaveLength(3);
  });
});
