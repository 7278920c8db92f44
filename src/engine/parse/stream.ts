// Parsing while the answer streams: feed each decoded piece, get the answer as parsed so far plus the
// boxes cited for the first time by that piece (what a UI lights up). Each push re-parses the whole text:
// answers are at most a few thousand tokens, so this stays linear per token and cannot drift from
// parseAnswer's result on the final text.

import { parseAnswer, type ParsedAnswer } from './answer.ts';

export interface StreamUpdate<B> {
  parsed: ParsedAnswer<B>;
  /** Indices (with a box) cited for the first time by this push, in text order. */
  newlyCited: number[];
}

export class AnswerStream<B> {
  private textSoFar = '';
  private cited = new Set<number>();
  private last: ParsedAnswer<B>;

  constructor(private readonly boxes: readonly B[]) {
    this.last = parseAnswer('', boxes);
  }

  push(delta: string): StreamUpdate<B> {
    this.textSoFar += delta;
    this.last = parseAnswer(this.textSoFar, this.boxes);
    const newlyCited = this.last.mentions.filter((i) => i < this.boxes.length && !this.cited.has(i));
    for (const i of newlyCited) this.cited.add(i);
    return { parsed: this.last, newlyCited };
  }

  get text(): string {
    return this.textSoFar;
  }

  get current(): ParsedAnswer<B> {
    return this.last;
  }
}
