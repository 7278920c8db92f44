// Token ids → text pieces as they arrive. Byte-level BPE can split one character across tokens, so the
// whole answer is re-decoded and only the new, complete text is emitted: a trailing U+FFFD (an unfinished
// UTF-8 sequence) is held back until the next token completes it.
export class TextStream {
  private readonly ids: number[] = [];
  private emitted = '';

  constructor(private readonly decode: (ids: readonly number[]) => string) {}

  /** The new text this token completes ('' when it only starts a character). */
  push(id: number): string {
    this.ids.push(id);
    const text = this.decode(this.ids);
    const stable = text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
    if (!stable.startsWith(this.emitted)) return ''; // a re-segmentation changed earlier text: wait for it to settle
    const piece = stable.slice(this.emitted.length);
    this.emitted = stable;
    return piece;
  }

  /** The full answer text, including anything held back. */
  get text(): string {
    return this.decode(this.ids);
  }
}
