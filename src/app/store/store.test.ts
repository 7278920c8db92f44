import { describe, expect, it } from 'vitest';
import { selectSelectedIndices } from './selectors.ts';
import { createAppStore } from './store.ts';

const box = (x: number) => ({ x1: x, y1: 0, x2: x + 10, y2: 10 });

describe('app store: boxes and selection', () => {
  it('selects a newly drawn box alone, and toggles with additive selection', () => {
    const store = createAppStore();
    const s = store.getState;
    s().addBox(box(0));
    s().addBox(box(20));
    s().addBox(box(40));
    expect(selectSelectedIndices(s())).toEqual([2]);
    s().selectBox(0, true);
    expect(selectSelectedIndices(s())).toEqual([0, 2]); // ascending region order, whatever the click order
    s().selectBox(2, true);
    expect(selectSelectedIndices(s())).toEqual([0]);
    s().selectBox(1, false);
    expect(selectSelectedIndices(s())).toEqual([1]);
  });

  it('removes the selection, or the focused box when nothing is selected, renumbering regions', () => {
    const store = createAppStore();
    const s = store.getState;
    [0, 20, 40].forEach((x) => s().addBox(box(x)));
    s().selectBox(0, false);
    s().removeSelectedOr(2);
    expect(s().boxes.map((b) => b.box.x1)).toEqual([20, 40]);
    expect(s().selected).toEqual([]);
    s().removeSelectedOr(1);
    expect(s().boxes.map((b) => b.box.x1)).toEqual([20]);
    s().clearBoxes();
    expect(s().boxes).toEqual([]);
  });

  it('updates one box in place and keeps selection by identity', () => {
    const store = createAppStore();
    const s = store.getState;
    s().addBox(box(0));
    s().addBox(box(20));
    s().updateBox(0, box(5));
    expect(s().boxes[0].box).toEqual(box(5));
    expect(selectSelectedIndices(s())).toEqual([1]);
  });
});
