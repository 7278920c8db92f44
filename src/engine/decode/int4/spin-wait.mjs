// How a kernel thread waits on a counter in the shared control block (kernels.ts, kernel-thread.mjs): poll it a
// while, then sleep on it with Atomics.wait. A decode step makes ~180 parallel calls back to back with a little
// JS between them, and a futex sleep and wake-up costs tens of µs each time (measured 46 µs per call, against
// ~1 µs when polling): ~8 ms of a ~90 ms step. But polling burns a core that another thread may need when the
// machine is busy (measured: one CPU hog on 2 cores made fixed 90 µs polls 20% slower than none), so the poll
// budget adapts: it doubles when a sleep ended soon after it began (longer polling would have caught the
// change) and halves when a sleep was long (an idle engine, or peers that the OS has descheduled).

/** Most polls per wait (~90 µs on the machine measured) and fewest. */
const MAX_POLLS = 20000;
export const MIN_POLLS = 64;
/** A sleep shorter than this, in ms, would have been caught by polling. */
const SHORT_SLEEP_MS = 0.1;

export class SpinWait {
  polls = MAX_POLLS;

  /** Returns once ready(ctl[index]) holds. */
  until(ctl, index, ready) {
    for (let i = 0; i < this.polls; i++) if (ready(Atomics.load(ctl, index))) return;
    const start = performance.now();
    for (let v = Atomics.load(ctl, index); !ready(v); v = Atomics.load(ctl, index)) Atomics.wait(ctl, index, v);
    this.polls = performance.now() - start < SHORT_SLEEP_MS ? Math.min(MAX_POLLS, this.polls * 2) : Math.max(MIN_POLLS, this.polls >> 1);
  }
}
