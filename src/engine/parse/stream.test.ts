import { describe, expect, it } from 'vitest';
import { parseAnswer } from './answer.ts';
import { AnswerStream } from './stream.ts';

const boxes = Array.from({ length: 13 }, (_, i) => ({ id: `box${i}` }));

describe('AnswerStream', () => {
  it('fed one character at a time, ends exactly where parseAnswer on the whole text does', () => {
    const full =
      '<think>The <region3> cup is near <region12>.</think><answer><ground>cup</ground><objects><region3></objects>' +
      '<ground>plate</ground><objects><region5><region20></objects> 2 items</answer>';
    const stream = new AnswerStream(boxes);
    const lit: number[] = [];
    for (const ch of full) lit.push(...stream.push(ch).newlyCited);
    expect(stream.text).toBe(full);
    expect(stream.current).toEqual(parseAnswer(full, boxes));
    expect(lit).toEqual([3, 12, 5]); // 20 has no box: never lit, reported as dropped
    expect(stream.current.dropped).toEqual([20]);
    expect(stream.current.count).toBe(2);
  });

  it('lights a region only when its tag is complete, and only once', () => {
    const stream = new AnswerStream(boxes);
    expect(stream.push('<ground>dog</ground><objects><region1').newlyCited).toEqual([]);
    const u = stream.push('2>');
    expect(u.newlyCited).toEqual([12]);
    expect(u.parsed.openGroup).toEqual({ label: 'dog', indices: [12] });
    expect(stream.push('<region12>').newlyCited).toEqual([]);
    const done = stream.push('</objects>');
    expect(done.newlyCited).toEqual([]);
    expect(done.parsed.groups).toEqual([{ label: 'dog', indices: [12] }]);
    expect(done.parsed.openGroup).toBeNull();
  });

  it('starts empty', () => {
    const stream = new AnswerStream(boxes);
    expect(stream.text).toBe('');
    expect(stream.current.regions).toEqual([]);
  });
});
