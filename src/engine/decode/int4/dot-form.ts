// Which of the relaxed build's two int8 dot forms gemmQ4 runs (gemm.as.ts dotPair). Both give the same exact
// integer sums, so the choice changes speed only, and which form is faster depends on the engine and the CPU:
// the i16 form (two i16 dots, added, then widened) and the i32 dot-accumulate, which an engine can lower to
// one instruction (x86 AVX-VNNI vpdpbusd, Arm sdot) or to three. Measured on the 2048×2048 product at 64 tokens
// on this project's Xeon (one thread): Chromium 156 ran the i32 form 22% faster, Node 20 (V8 11.3) 20% slower.
// No feature test tells which, so the first large products are timed in both forms, taking turns, and the
// faster is kept from then on.
import { GEMM_DOT_I16, GEMM_DOT_I32 } from './gemm-job.ts';

/** gemmQ4's `form` argument. */
export type DotForm = typeof GEMM_DOT_I16 | typeof GEMM_DOT_I32;

/**
 * Products smaller than this many multiply-adds are not timed: a decode step's (22M at 3B size) is bound by
 * memory, where both forms take the same time, and too short to time against a millisecond clock.
 */
export const TRIAL_MIN_MACS = 2 ** 26;
/** Timed products per form before choosing, after WARMUP untimed ones (the engine compiles hot code again). */
export const TRIALS = 6;
export const WARMUP = 2;

export class DotFormChoice {
  private readonly runs: number[];
  private readonly ms: number[];
  private readonly macs: number[];
  private chosen: DotForm | null;

  /** `forms`: those that passed kernels.ts' known-product check, the default first. */
  constructor(readonly forms: readonly DotForm[], private readonly now: () => number = () => performance.now()) {
    if (!forms.length) throw new Error('DotFormChoice: no dot form to choose from');
    this.runs = forms.map(() => 0);
    this.ms = forms.map(() => 0);
    this.macs = forms.map(() => 0);
    this.chosen = forms.length === 1 ? forms[0] : null;
  }

  /** The form kept, or null while the trials run. */
  get choice(): DotForm | null {
    return this.chosen;
  }

  /** Runs `product` (of `macs` multiply-adds) in the form to use now, timing it while the trials last. */
  run(macs: number, product: (form: DotForm) => void): void {
    if (this.chosen !== null || macs < TRIAL_MIN_MACS) return product(this.chosen ?? this.forms[0]);
    // The form with the fewest runs goes next, so the forms take turns and share the machine's drift alike.
    const i = this.runs.indexOf(Math.min(...this.runs));
    const t = this.now();
    product(this.forms[i]);
    const elapsed = this.now() - t;
    if (this.runs[i]++ >= WARMUP) {
      this.ms[i] += elapsed;
      this.macs[i] += macs;
    }
    if (this.runs.every((n) => n >= WARMUP + TRIALS)) {
      const costs = this.ms.map((ms, j) => ms / this.macs[j]);
      this.chosen = this.forms[costs.indexOf(Math.min(...costs))];
    }
  }
}
