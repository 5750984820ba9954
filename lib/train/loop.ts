// The one training loop, for pretraining and fine-tuning alike (llm.c's main, nanoGPT's train.py):
// a step is one or more micro-batches whose gradients accumulate, with the ranks of a data-parallel
// run agreeing before each micro-batch on what its losses average over, on a stop request and on the
// clock; then the gradients' sum across ranks, the health check (a non-finite loss or gradient stops
// the run or skips the update), the optimizer step, the log, the caller's evaluation cadence, a
// checkpoint when one is due and a turn of the event loop. What differs between runs lives in a
// StepSource (their data: masked instances, a task family's shuffled epochs) and in hooks.
import type { BertForTask, LossShares, StepResult, Targets } from '../model/bert.js';
import type { Batch } from '../model/encoder.js';
import { GradientSum, sumAcross, type Communicator } from './distributed.js';
import type { AdamW } from './optimizer.js';
import type { TrainingRun } from './run.js';

/** One micro-batch: this rank's slice of a global batch (null when the slice is empty). */
export interface Micro {
  batch: Batch | null;
  targets: Targets | null;
  /** the dropout seed of its forward pass */
  seed: bigint;
  /** what each of its losses averages over in this slice (masked tokens and NSP pairs; labelled rows) */
  counts: number[];
}

/** A step's micro-batches, and how the source moves past them once the step is taken. */
export interface StepData<I = unknown> {
  micros: Micro[];
  /** the source's position moves past this step (not called when the ranks agree to stop first) */
  commit(): void;
  /** the source's own facts about the step (an epoch's end, the padded length …) */
  info: I;
}

export interface StepSource<I = unknown> {
  /** the next step's data, or null when the data (or the plan) is done */
  next(step: number): Promise<StepData<I> | null>;
}

export interface LoopSpec<I> {
  model: BertForTask;
  opt: AdamW;
  run: TrainingRun;
  comm: Communicator;
  source: StepSource<I>;
  /** micro-batches a step accumulates: each one's gradient is scaled by 1/gradAccum */
  gradAccum: number;
  /** the step the run starts at (0, or a resumed run's) */
  step: number;
  /** the data-parallel shares of each loss from this rank's counts and every rank's */
  shares(counts: number[], totals: number[]): LossShares;
  lr(step: number): number;
  /** the budget's clock has run out (checked before each step) */
  outOfClock?(): boolean;
  /** a stop request (Ctrl-C): agreed on by the ranks before a step; a single process's is the run's (TrainingRun.afterStep) */
  shouldStop?(): boolean;
  /** numbers each micro-batch adds to the step's figures (summed over micro-batches and ranks): statsLength of them */
  stats?(r: StepResult, micro: Micro): number[];
  statsLength?: number;
  /** after a healthy update: log and evaluate; true ends the run (early stopping) */
  afterUpdate(step: number, loss: number, stats: number[], info: I): Promise<boolean> | boolean;
  /** after every step, healthy or skipped, once the periodic checkpoint is done: true ends the run */
  afterStep?(step: number, info: I): boolean;
  /** a resumable checkpoint of the run now */
  save(): void;
}

export interface LoopResult {
  step: number;
  /** the budget's clock ended the run */
  outOfTime: boolean;
}

export async function trainingLoop<I>(s: LoopSpec<I>): Promise<LoopResult> {
  const { model, comm, run } = s;
  const gradSum = new GradientSum(comm, () => model.store.grads, () => model.encoder.gradientRanges());
  let step = s.step, outOfTime = false;
  for (;;) {
    const data = await s.source.next(step);
    if (!data) break;
    const clock = s.outOfClock?.() ?? false;
    if (comm.size === 1 && clock) {
      outOfTime = true;
      break;
    }
    model.store.zeroGrad();
    let loss = 0, stats = new Array<number>(s.statsLength ?? 0).fill(0), ended: 'stop' | 'clock' | null = null;
    for (let a = 0; a < data.micros.length; a++) {
      const m = data.micros[a];
      let shares: LossShares | undefined;
      if (comm.size > 1) {
        // the ranks agree before each micro-batch: the counts each loss averages over, a stop (asked
        // before the step's first micro-batch), the clock
        const t = new Float64Array([...m.counts, a === 0 && s.shouldStop?.() ? 1 : 0, a === 0 && clock ? 1 : 0]);
        comm.sum(t);
        const k = m.counts.length;
        if (t[k + 1] > 0) { ended = 'clock'; break; }
        if (t[k] > 0) { ended = 'stop'; break; }
        shares = s.shares(m.counts, Array.from(t.subarray(0, k)));
      }
      model.encoder.gradientsDone = a === data.micros.length - 1 ? gradSum.hook() : null;
      if (m.batch) {
        const r = model.step(m.batch, m.targets, { training: true, backward: true, seed: m.seed, gradScale: 1 / s.gradAccum, shares });
        loss += r.loss / s.gradAccum;
        const add = s.stats?.(r, m) ?? [];
        for (let i = 0; i < stats.length; i++) stats[i] += add[i];
      }
      model.encoder.gradientsDone = null;
    }
    if (ended === 'clock') { outOfTime = true; break; }
    if (ended === 'stop') { run.stopped = true; break; }
    gradSum.finish();
    data.commit();
    const n = stats.length;
    const summed = sumAcross(comm, [loss, ...stats]);
    loss = summed[0];
    stats = summed.slice(1, 1 + n);
    const lr = s.lr(step);
    const ok = run.healthy(step + 1, loss, () => s.opt.step(lr));
    step++;
    if (ok) {
      if (await s.afterUpdate(step, loss, stats, data.info)) break;
      if (await run.afterStep(step, s.save)) break;
    }
    if (s.afterStep?.(step, data.info)) break;
  }
  return { step, outOfTime };
}
