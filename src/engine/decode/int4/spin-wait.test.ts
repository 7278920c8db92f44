// SpinWait: returns once the counter is ready, polling first and sleeping after, and gives a long sleep a
// smaller poll budget next time (an idle engine or a descheduled peer must not keep a core busy).
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MIN_POLLS, SpinWait } from './spin-wait.mjs';

/** A thread that sets ctl[0] to `value` after `ms`. */
function setLater(ctl: Int32Array, value: number, ms: number): Worker {
  const code = `const { workerData: { buf, value, ms } } = require('node:worker_threads');
    const ctl = new Int32Array(buf);
    setTimeout(() => { Atomics.store(ctl, 0, value); Atomics.notify(ctl, 0); }, ms);`;
  return new Worker(code, { eval: true, workerData: { buf: ctl.buffer, value, ms } });
}

describe('SpinWait', () => {
  it('returns at once when the counter is already ready, keeping its poll budget', () => {
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    ctl[0] = 3;
    const w = new SpinWait();
    const before = w.polls;
    w.until(ctl, 0, (v) => v >= 3);
    expect(w.polls).toBe(before);
  });

  it('sleeps until another thread makes it ready, then halves its budget after that long sleep, down to a floor', async () => {
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    const w = new SpinWait();
    const before = w.polls;
    const t = setLater(ctl, 1, 50);
    const start = performance.now();
    w.until(ctl, 0, (v) => v === 1);
    expect(performance.now() - start).toBeGreaterThanOrEqual(40);
    expect(Atomics.load(ctl, 0)).toBe(1);
    expect(w.polls).toBe(before >> 1);
    await t.terminate();
    for (let i = 0; i < 20; i++) {
      const again = setLater(ctl, i + 2, 2);
      w.until(ctl, 0, (v) => v === i + 2);
      await again.terminate();
    }
    expect(w.polls).toBe(MIN_POLLS);
  });
});
