// Types of spin-wait.mjs (plain JavaScript, so that kernel-thread.mjs can import it without a TS loader).
export declare class SpinWait {
  polls: number;
  /** Returns once ready(ctl[index]) holds: polls a while, then sleeps on it with Atomics.wait. */
  until(ctl: Int32Array, index: number, ready: (value: number) => boolean): void;
}
/** The fewest polls a SpinWait makes before sleeping. */
export declare const MIN_POLLS: number;
