// Training on a time budget, as "Cramming" (Geiping & Goldstein, 2022) does: the run measures its own
// pace, plans how many steps fit, fits the learning-rate schedule (warmup, then linear decay to zero)
// to them, and a clock stops it on time whatever happens to the pace afterwards.
//
// The plan is made in two looks, so that `--steps N --warmup W` with the planned N and W reproduces
// the run bit for bit: before the first update, timed forward/backward passes on the first batch
// (no update) give a first estimate of N, and W is a fraction of it; at step W — the warmup's
// schedule does not depend on N — the pace of the real steps so far (optimizer, data, metrics and
// all) gives the final N, from which the decay starts. Held-out evaluations (timed on one batch)
// and the cost of building each epoch's instances anew (timed on the first shard) are paid for out
// of the same budget.

export interface BudgetPlan {
  steps: number;
  warmup: number;
  /** seconds per training step, per held-out evaluation, and of data building per step, planned with */
  stepSeconds: number;
  evalSeconds: number;
  evals: number;
  dataSecondsPerStep: number;
  /** 'calibration' (before the first update) or 'measured' (from the warmup's steps) */
  from: 'calibration' | 'measured';
}

/** Measured seconds of `fn`: the median of `runs` timings after one untimed warm-up run. */
export function timeIt(fn: () => void, runs = 3): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** Of the steps planned, at least this many warm up before the pace is taken from real steps. */
export const MIN_MEASURED_STEPS = 8;
/** Held-out evaluations a planned run makes (every tenth of the steps). */
export const PLANNED_EVALS = 10;
/** The share of a budget held-out evaluations may take: fewer of them when each is long. */
export const EVAL_SHARE = 0.1;

/**
 * How many held-out evaluations of `evalSeconds` a budget of `seconds` plans: PLANNED_EVALS, fewer
 * when they would take more than EVAL_SHARE of it, and at least the last one. (`--budget 2m --eval`
 * reserved ten full evaluations, planned one step and ended at a third of its budget.)
 */
export function evalsWithin(seconds: number, evalSeconds: number): number {
  if (!(evalSeconds > 0)) return PLANNED_EVALS;
  return Math.max(1, Math.min(PLANNED_EVALS, Math.floor((EVAL_SHARE * seconds) / evalSeconds)));
}
const MARGIN = 0.02;

export class Budget {
  plan: BudgetPlan | null = null;
  /** the whole run's mean step over the measured steps' (a length schedule's later, longer steps) */
  paceScale = 1;
  private marks: { step: number; t: number }[] = [];

  constructor(
    readonly seconds: number,
    private readonly elapsed: () => number,
    private readonly o: { warmupFraction: number; warmup?: number; evalSeconds: number; evals: number; dataSecondsPerStep: () => number },
  ) {}

  get outOfTime(): boolean {
    return this.elapsed() >= this.seconds;
  }

  /** The first plan, from the seconds of one forward/backward pass; `done` steps are behind (a resume). */
  calibrate(stepSeconds: number, done: number): BudgetPlan {
    this.plan = this.fit(stepSeconds * 1.1 * this.paceScale, done, 'calibration', null); // the optimizer and the rest: ~10% until measured
    return this.plan;
  }

  /** Called after every step: at the end of the warmup, the plan is remade from the measured pace. Returns true when it was. */
  observe(step: number): boolean {
    // a warmup too short to take a pace from keeps the first plan (decay has begun by then)
    if (!this.plan || this.plan.from === 'measured' || this.plan.warmup < MIN_MEASURED_STEPS) return false;
    this.marks.push({ step, t: this.elapsed() });
    if (step < this.plan.warmup || this.marks.length < MIN_MEASURED_STEPS) return false;
    const a = this.marks[Math.floor(this.marks.length / 2)], b = this.marks[this.marks.length - 1]; // the first steps warm caches and the JIT up
    this.plan = this.fit(((b.t - a.t) / (b.step - a.step)) * this.paceScale, step, 'measured', this.plan.warmup);
    return true;
  }

  private fit(stepSeconds: number, done: number, from: BudgetPlan['from'], warmup: number | null): BudgetPlan {
    const data = this.o.dataSecondsPerStep();
    const left = (this.seconds - this.elapsed()) * (1 - MARGIN) - this.o.evals * this.o.evalSeconds;
    const steps = done + Math.max(1, Math.floor(left / (stepSeconds + data)));
    const w = warmup ?? this.o.warmup ?? Math.round(steps * this.o.warmupFraction);
    return { steps: Math.max(steps, w), warmup: w, stepSeconds, evalSeconds: this.o.evalSeconds, evals: this.o.evals, dataSecondsPerStep: data, from };
  }
}
