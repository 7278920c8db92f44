import { describe, expect, it } from 'vitest';
import { extractCount, parseAnswer } from './answer.ts';

type Box = [number, number, number, number];
const boxes: Box[] = [
  [0, 0, 10, 10],
  [5, 5, 50, 40],
  [100, 20, 300, 220],
  [7, 8, 9, 10],
];

describe('parseAnswer: grounding groups', () => {
  it('reads several labels, merges repeated ones, and maps indices to the caller boxes', () => {
    const text =
      '<ground>person</ground><objects><region0><region2></objects><ground>dog</ground><objects><region1></objects>' +
      '<ground> person </ground><objects><region3><region0></objects>';
    const p = parseAnswer(text, boxes);
    expect(p.groups).toEqual([
      { label: 'person', indices: [0, 2, 3] },
      { label: 'dog', indices: [1] },
    ]);
    expect(p.regions).toEqual([
      { index: 0, label: 'person', box: boxes[0] },
      { index: 2, label: 'person', box: boxes[2] },
      { index: 3, label: 'person', box: boxes[3] },
      { index: 1, label: 'dog', box: boxes[1] },
    ]);
    expect(p.mentions).toEqual([0, 2, 1, 3]);
    expect(p.dropped).toEqual([]);
    expect(p.openGroup).toBeNull();
  });

  it('follows the reference regex: no whitespace between </ground> and <objects>, no newline inside', () => {
    const spaced = parseAnswer('<ground>cat</ground> <objects><region1></objects>', boxes);
    expect(spaced.groups).toEqual([]);
    expect(spaced.regions).toEqual([{ index: 1, label: null, box: boxes[1] }]);
    const broken = parseAnswer('<ground>cat</ground><objects><region1>\n<region2></objects>', boxes);
    expect(broken.groups).toEqual([]);
    expect(broken.mentions).toEqual([1, 2]);
    // Non-greedy: each group ends at its own first </objects>.
    const two = parseAnswer('<ground>a</ground><objects><region0></objects>x</objects><ground>b</ground><objects><region1></objects>', boxes);
    expect(two.groups).toEqual([{ label: 'a', indices: [0] }, { label: 'b', indices: [1] }]);
  });

  it('keeps a group that cites nothing and a label merged across groups with nothing new', () => {
    const p = parseAnswer('<ground>zebra</ground><objects></objects><ground>zebra</ground><objects><region0></objects>', boxes);
    expect(p.groups).toEqual([{ label: 'zebra', indices: [0] }]);
    expect(parseAnswer('<ground>unicorn</ground><objects></objects>', boxes).groups).toEqual([{ label: 'unicorn', indices: [] }]);
  });
});

describe('parseAnswer: bare references, dropped indices, sections, count', () => {
  it('collects bare <regionN> citations in first-appearance order, each once', () => {
    const p = parseAnswer('A man <region2> holds a cup <region0>; the cup <region0> is red. <region2>', boxes);
    expect(p.groups).toEqual([]);
    expect(p.mentions).toEqual([2, 0]);
    expect(p.regions).toEqual([
      { index: 2, label: null, box: boxes[2] },
      { index: 0, label: null, box: boxes[0] },
    ]);
  });

  it('lists bare citations after the grouped ones, without repeating grouped indices', () => {
    const p = parseAnswer('A <ground>dog</ground><objects><region1></objects> near <region1> and <region3>.', boxes);
    expect(p.regions.map((r) => [r.index, r.label])).toEqual([[1, 'dog'], [3, null]]);
  });

  it('drops and reports indices that have no box', () => {
    const p = parseAnswer('<ground>car</ground><objects><region1><region9></objects> also <region4> and <region99999999999>', boxes);
    expect(p.dropped).toEqual([9, 4, 99999999999]);
    expect(p.groups).toEqual([{ label: 'car', indices: [1] }]);
    expect(p.regions).toEqual([{ index: 1, label: 'car', box: boxes[1] }]);
    expect(p.mentions).toEqual([1, 9, 4, 99999999999]);
    expect(parseAnswer('<region0>', []).dropped).toEqual([0]);
  });

  it('splits <think> and <answer> sections', () => {
    const p = parseAnswer('<think> The mug <region2> is left of the plate. </think><answer>The mug <region2>.</answer>', boxes);
    expect(p.think).toEqual({ text: 'The mug <region2> is left of the plate.', closed: true });
    expect(p.answer).toEqual({ text: 'The mug <region2>.', closed: true });
    expect(p.regions).toEqual([{ index: 2, label: null, box: boxes[2] }]);
    expect(parseAnswer('no tags', boxes).think).toBeNull();
  });

  it('takes the count as the first integer once region tags are removed', () => {
    expect(parseAnswer('<ground>dog</ground><objects><region10><region11></objects>There are 2 dogs.', boxes).count).toBe(2);
    expect(extractCount('<region3> is one; 14 in total, not 15')).toBe(14);
    expect(extractCount('There are no dogs.')).toBeNull();
  });

  it('ignores things that only look like region tags', () => {
    const p = parseAnswer('<region> <region-1> <REGION1> <region 2> <region1x> <regionA>', boxes);
    expect(p.mentions).toEqual([]);
    expect(p.regions).toEqual([]);
  });
});

describe('parseAnswer on partial or malformed text', () => {
  it('empty text parses to nothing', () => {
    expect(parseAnswer('', boxes)).toEqual({
      text: '', groups: [], openGroup: null, mentions: [], regions: [], dropped: [], think: null, answer: null, count: null,
    });
  });

  it('reports a trailing group still being written, without inventing a complete one', () => {
    const p = parseAnswer('<ground>person</ground><objects><region0></objects><ground>dog</ground><objects><region1><regi', boxes);
    expect(p.groups).toEqual([{ label: 'person', indices: [0] }]);
    expect(p.openGroup).toEqual({ label: 'dog', indices: [1] });
    // Its citations still count as mentions so they can light up.
    expect(p.regions.map((r) => [r.index, r.label])).toEqual([[0, 'person'], [1, null]]);
  });

  it('does not cite a region whose tag is still incomplete', () => {
    expect(parseAnswer('see <region1', boxes).mentions).toEqual([]);
    expect(parseAnswer('see <region12', boxes).mentions).toEqual([]);
  });

  it('keeps an unclosed section open and hides a half-arrived closing tag', () => {
    expect(parseAnswer('<think>The cup <region0> is', boxes).think).toEqual({ text: 'The cup <region0> is', closed: false });
    expect(parseAnswer('<think>The cup is red</thi', boxes).think).toEqual({ text: 'The cup is red', closed: false });
    expect(parseAnswer('<think>a</think><answer>b<', boxes).answer).toEqual({ text: 'b', closed: false });
  });

  it('survives mismatched and stray tags', () => {
    const p = parseAnswer('</objects><ground>x</objects><objects><region2></ground></think><answer>', boxes);
    expect(p.groups).toEqual([]);
    expect(p.openGroup).toBeNull();
    expect(p.mentions).toEqual([2]);
    expect(p.think).toBeNull();
    expect(p.answer).toEqual({ text: '', closed: false });
  });
});
