// `pretrain --budget`: the steps are planned from the run's own pace, the schedule is fitted to
// them, the run is exactly `--steps N --warmup W` with the planned N and W (also when stopped and
// resumed), and a clock stops it on time when the pace falls after planning.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { parseDuration } from '../../bin/options.js';
import { native } from '../../lib/native.js';
import { Budget, evalsWithin } from '../../lib/train/budget.js';
import { pretrainLoop as pretrain, type PretrainOptions } from '../../lib/train/pretrain.js';
import { DEFAULT_PRETRAINING } from '../../lib/train/pretraining-data.js';
import { tinyPretraining } from '../helpers/tiny-pretraining.js';

const { dir, corpus, tokenizer, config } = tinyPretraining('bert-cli-budget-');

function options(out: string, extra: Partial<PretrainOptions> = {}): PretrainOptions {
  return {
    files: [corpus], out, config, tokenizer, batchSize: 4, lr: 1e-3, seed: 5, evalFiles: [corpus], evalBatches: 2,
    data: { ...DEFAULT_PRETRAINING, maxLength: 48, maxPredictions: 8 }, saveEvery: 100000, shardTokens: 3000, ...extra,
  };
}

/** Blocks the thread for `ms` milliseconds, as a slower step would. */
const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('--budget', () => {
  it('parses durations, and refuses what is not one', () => {
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('2.5m')).toBe(150);
    for (const bad of ['30', '', 'm', '0s', '-5m', '1d', '5 minutes']) expect(() => parseDuration(bad)).toThrow(/duration/);
  });

  it('evaluations take a bounded share of the budget: ten where they are cheap, fewer where each is long, always the last', () => {
    expect(evalsWithin(1800, 2)).toBe(10); // 30 minutes, 2 s each: ten (20 s, 1%)
    expect(evalsWithin(120, 6)).toBe(2); // 2 minutes, 6 s each: 12 s is a tenth
    expect(evalsWithin(120, 40)).toBe(1); // each longer than the share: only the last
    // a 2-minute budget with 6 s evaluations plans its steps over 120·0.98 − 12 s, not − 60 s
    const plan = new Budget(120, () => 0, { warmupFraction: 0.01, evalSeconds: 6, evals: evalsWithin(120, 6), dataSecondsPerStep: () => 0 }).calibrate(0.5, 0);
    expect(plan.steps).toBe(Math.floor((120 * 0.98 - 12) / (0.5 * 1.1)));
  });

  it('plans from the pace: more time, more steps; the evaluations and the data are paid for; the warmup is kept when the plan is remade', () => {
    let now = 0;
    const b = (s: number, evals = 0) => new Budget(s, () => now, { warmupFraction: 0.1, evalSeconds: 2, evals, dataSecondsPerStep: () => 0.01 });
    expect(b(100).calibrate(0.09, 0).steps).toBe(Math.floor((100 * 0.98) / (0.09 * 1.1 + 0.01)));
    expect(b(100, 10).calibrate(0.09, 0).steps).toBe(Math.floor((100 * 0.98 - 20) / (0.09 * 1.1 + 0.01)));
    const budget = b(100);
    const first = budget.calibrate(0.09, 0);
    expect(first.warmup).toBe(Math.round(first.steps * 0.1));
    // the real steps take 0.2 s: at the end of the warmup the plan shrinks to what is left
    let remade = false;
    for (let step = 1; step <= first.warmup; step++) {
      now = 0.2 * step;
      remade = budget.observe(step) || remade;
    }
    expect(remade).toBe(true);
    expect(budget.plan!.from).toBe('measured');
    expect(budget.plan!.warmup).toBe(first.warmup);
    expect(budget.plan!.steps).toBe(first.warmup + Math.floor(((100 - now) * 0.98) / (0.2 + 0.01)));
    expect(budget.observe(first.warmup + 1)).toBe(false); // once
  });

  it('is --steps N --warmup W with the planned N and W, bit for bit, also stopped and resumed without the flag', async () => {
    const saved = native.numThreads();
    native.setNumThreads(1);
    try {
      let measured = false, after = 0;
      const a = await pretrain(options(join(dir, 'planned'), {
        budget: 3, warmupFraction: 0.1, onPlan: (p) => { measured = p.from === 'measured'; }, shouldStop: () => measured && ++after === 10,
      }));
      expect(a.stopped).toBe(true);
      expect(a.plan!.from).toBe('measured');
      expect(a.step).toBe(a.warmup + 9); // the plan is remade at step W, and the run stops after nine more
      // (a clock with room: the resumed run's first steps are slower, and on a loaded machine a 3 s clock ended it a few steps short)
      const b = await pretrain(options(join(dir, 'planned'), { resume: true, budget: 60 }));
      expect(b.stopped).toBe(false);
      expect(b.step).toBe(a.steps); // the plan is in the training state
      const exact = await pretrain(options(join(dir, 'exact'), { steps: a.steps, warmup: a.warmup }));
      expect([...a.losses, ...b.losses]).toEqual(exact.losses);
    } finally {
      native.setNumThreads(saved);
    }
  });

  it('stops on time, with a checkpoint and a last evaluation, when the pace falls after planning', async () => {
    const out = join(dir, 'late');
    let measured = false;
    const r = await pretrain(options(out, { budget: 3, warmupFraction: 0.1, onPlan: (p) => { measured = p.from === 'measured'; }, onStep: () => { if (measured) block(5); } }));
    expect(r.outOfTime).toBe(true);
    expect(r.step).toBeLessThan(r.steps); // the clock, not the plan, ended it
    expect(r.lastEval!.step).toBe(r.step);
    const state = JSON.parse(readFileSync(join(out, 'training_state.json'), 'utf8'));
    expect(state.step).toBe(r.step);
    expect(state.steps).toBe(r.steps);
  });
});
