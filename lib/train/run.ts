// A training run's bookkeeping, the same for pretraining and fine-tuning: the output directory (one
// writer, no silent overwrite), the optimizer state of a resumed run, the metrics log (trimmed to the
// checkpoint on resume), the health of each step (a non-finite loss or gradient stops the run or,
// asked, skips the update), checkpoints now and then (by steps or by minutes of work), the turn of the
// event loop between steps that lets a stop request in, and the report at the end. The loops keep
// only what is theirs: their data, their step and their evaluation.
import { appendFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BertError } from '../errors.js';
import { loadTrainingState, saveModelDir, type TrainingState } from '../model-dir/model-dir.js';
import type { BertForTask } from '../model/bert.js';
import { writeReport, type ReportInput } from '../report/training-report.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { StepHealth } from './health.js';
import type { AdamW } from './optimizer.js';
import { prepareOutDir, startMetrics } from './out-dir.js';

export interface RunOptions {
  out: string;
  resume?: boolean;
  overwrite?: boolean;
  skipNonfinite?: boolean;
  shouldStop?: () => boolean;
  /** a checkpoint every N steps; else, with saveEverySeconds, every so many seconds of work */
  saveEvery?: number;
  saveEverySeconds?: number;
  /** false on the ranks of a data-parallel run other than 0: they read, and write nothing (default true) */
  writer?: boolean;
}

/** Runs `body` holding `out` (prepareOutDir's lock), released however it ends. */
export async function withRun<R>(o: RunOptions, body: (run: TrainingRun) => Promise<R>): Promise<R> {
  const release = o.writer === false ? () => {} : prepareOutDir(o.out, o);
  try {
    return await body(new TrainingRun(o));
  } finally {
    release();
  }
}

export class TrainingRun {
  readonly health: StepHealth;
  readonly metricsPath: string;
  private lastSave = Date.now();
  private savedAt: number | null = null;
  stopped = false;
  /** this process writes the run's files (rank 0, or the only process) */
  readonly writer: boolean;

  constructor(private readonly o: RunOptions) {
    this.writer = o.writer !== false;
    this.health = new StepHealth(!!o.skipNonfinite, o.out);
    this.metricsPath = join(o.out, 'metrics.jsonl');
  }

  /** Refuses a resume with nothing to resume from, before anything is loaded. */
  assertResumable(dir: string): void {
    const rel = relative(this.o.out, dir);
    if (!existsSync(join(dir, 'training_state.json'))) throw new BertError(`nothing to resume: no ${rel ? rel + '/' : ''}training_state.json`, { where: this.o.out });
  }

  /** The saved state of the run being resumed from `dir`; its Adam moments go into `opt`. */
  restore(dir: string, model: BertForTask, opt: AdamW): TrainingState {
    const st = loadTrainingState(dir, model.store.size);
    opt.m.set(st.m);
    opt.v.set(st.v);
    opt.t = st.adamStep;
    return st.state;
  }

  /** Starts the metrics log: empty, or a resumed run's up to its checkpoint's step. */
  startMetrics(resumeStep: number | null): void {
    if (this.writer) startMetrics(this.metricsPath, resumeStep);
  }

  log(type: string, row: Record<string, unknown>): void {
    if (this.writer) appendFileSync(this.metricsPath, JSON.stringify({ type, ...row }) + '\n');
  }

  /** Whether the step may update the weights: its loss and gradient norm finite (else it throws, or is skipped and logged). */
  healthy(step: number, loss: number, gradNorm: () => number): boolean {
    if (this.health.check('loss', loss, step) && this.health.check('gradient norm', gradNorm(), step)) return true;
    this.log('skipped', { step, loss });
    return false;
  }

  /** Weights, tokenizer and training state in one commit (saveModelDir). */
  checkpoint(dir: string, model: BertForTask, tok: Tokenizer, opt: AdamW, state: TrainingState, step: number): void {
    if (this.writer) saveModelDir(dir, model, tok, {}, { m: opt.m, v: opt.v, adamStep: opt.t, state });
    this.lastSave = Date.now();
    this.savedAt = step;
  }

  /** After a step: a periodic checkpoint when one is due, a turn of the event loop, and whether to stop. */
  async afterStep(step: number, save: () => void): Promise<boolean> {
    const o = this.o;
    // a resumable checkpoint now and then, so a kill (SIGKILL, a crash, a lost machine) costs minutes
    if (o.saveEvery ? step % o.saveEvery === 0 : o.saveEverySeconds !== undefined && Date.now() - this.lastSave >= o.saveEverySeconds * 1000) save();
    await yieldToEventLoop(); // let signal handlers and progress timers run between steps
    if (o.shouldStop?.()) this.stopped = true;
    return this.stopped;
  }

  /** The last checkpoint, unless the loop has just saved this step (a second save could only fail — a full disk — and turn a complete run into an error). */
  finalCheckpoint(step: number, save: () => void): void {
    if (this.savedAt !== step) save();
  }

  report(r: ReportInput): void {
    if (this.writer) writeReport(r);
  }
}

/**
 * One turn of the event loop. A step's work is synchronous and the data generator resolves through
 * microtasks only, so without this a SIGINT handler or a spinner timer would wait for the next file
 * read, which on an in-memory shard is thousands of steps away.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
