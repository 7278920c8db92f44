import { describe, expect, it } from 'vitest';
import { TextStream } from './text-stream.ts';

describe('TextStream', () => {
  it('holds back a character split across tokens until it is complete', () => {
    // Byte-level tokens: "é" is two UTF-8 bytes, here two tokens.
    const bytes: Record<number, number[]> = { 1: [0x61], 2: [0xc3], 3: [0xa9], 4: [0x21] };
    const decode = (ids: readonly number[]) => new TextDecoder().decode(Uint8Array.from(ids.flatMap((i) => bytes[i])));
    const s = new TextStream(decode);
    expect([1, 2, 3, 4].map((id) => s.push(id))).toEqual(['a', '', 'é', '!']);
    expect(s.text).toBe('aé!');
  });
});
