// The dot-form choice on a fake clock: the forms take turns on large products after their warm-up, the cheaper
// per multiply-add is kept, small products and a lone form are never timed.
import { describe, expect, it } from 'vitest';
import { DotFormChoice, TRIAL_MIN_MACS, TRIALS, WARMUP, type DotForm } from './dot-form.ts';
import { GEMM_DOT_I16, GEMM_DOT_I32 } from './gemm-job.ts';

/** A clock that advances by `cost[form] · macs` for each product run, and the forms in the order they ran. */
function fakeMachine(cost: Record<DotForm, number>) {
  let t = 0;
  const ran: DotForm[] = [];
  return {
    now: () => t,
    ran,
    product: (macs: number) => (form: DotForm) => {
      ran.push(form);
      t += cost[form] * macs;
    },
  };
}

describe('DotFormChoice', () => {
  it('times the forms in turns on large products, then keeps the faster per multiply-add', () => {
    const m = fakeMachine({ [GEMM_DOT_I16]: 3, [GEMM_DOT_I32]: 2 });
    const choice = new DotFormChoice([GEMM_DOT_I16, GEMM_DOT_I32], m.now);
    for (let i = 0; i < 2 * (WARMUP + TRIALS); i++) {
      expect(choice.choice).toBeNull();
      choice.run(TRIAL_MIN_MACS * (1 + (i % 3)), m.product(TRIAL_MIN_MACS * (1 + (i % 3))));
    }
    expect(m.ran).toEqual(Array.from({ length: 2 * (WARMUP + TRIALS) }, (_, i) => (i % 2 ? GEMM_DOT_I32 : GEMM_DOT_I16)));
    expect(choice.choice).toBe(GEMM_DOT_I32);
    choice.run(TRIAL_MIN_MACS, m.product(TRIAL_MIN_MACS));
    expect(m.ran.at(-1)).toBe(GEMM_DOT_I32);
  });

  it('leaves the warm-up runs out: a form slow only while the engine compiles it still wins', () => {
    let runs = 0;
    const m = fakeMachine({ [GEMM_DOT_I16]: 3, [GEMM_DOT_I32]: 2 });
    const choice = new DotFormChoice([GEMM_DOT_I16, GEMM_DOT_I32], m.now);
    // the i32 form's first WARMUP runs cost 100× (baseline code), then less than the i16 form's
    const slowStart = (form: DotForm) => {
      if (form === GEMM_DOT_I32 && runs++ < WARMUP) m.product(100 * TRIAL_MIN_MACS)(form);
      else m.product(TRIAL_MIN_MACS)(form);
    };
    while (choice.choice === null) choice.run(TRIAL_MIN_MACS, slowStart);
    expect(choice.choice).toBe(GEMM_DOT_I32);
  });

  it('runs small products (a decode step) in the default form untimed, and a lone form at once', () => {
    const m = fakeMachine({ [GEMM_DOT_I16]: 1, [GEMM_DOT_I32]: 1 });
    const choice = new DotFormChoice([GEMM_DOT_I16, GEMM_DOT_I32], m.now);
    for (let i = 0; i < 50; i++) choice.run(TRIAL_MIN_MACS - 1, m.product(TRIAL_MIN_MACS - 1));
    expect(new Set(m.ran)).toEqual(new Set([GEMM_DOT_I16]));
    expect(choice.choice).toBeNull();
    expect(new DotFormChoice([GEMM_DOT_I32]).choice).toBe(GEMM_DOT_I32);
    expect(() => new DotFormChoice([])).toThrow(/no dot form/);
  });
});
