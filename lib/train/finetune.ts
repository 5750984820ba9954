// The fine-tuning loop behind `bert-cli finetune`, for every task family through its TaskFamily: every parameter
// of the pretrained encoder is trained under a freshly initialised head (BERT's recipe), with AdamW,
// linear warmup then linear decay (or constant), clipping, gradient accumulation and a seeded
// shuffle each epoch. The dev set is evaluated after each epoch (and every N steps); the best model
// is kept in the output directory, the latest state in out/last for --resume.
import { join } from 'node:path';
import type { BertConfig } from '../config.js';
import { loadModelDir, modelDirConfig, saveModelDir } from '../model-dir/model-dir.js';
import type { BertForTask } from '../model/bert.js';
import type { Dtype } from '../model/encoder.js';
import { assertMemoryFits } from '../model/memory.js';
import { shuffledOrder, subSeed } from '../rng.js';
import { evaluate } from './evaluate.js';
import type { AnyFamily, Dataset } from '../tasks/family.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { AdamW, constantSchedule, linearSchedule } from './optimizer.js';
import { trainingLoop, type Micro, type StepSource } from './loop.js';
import { DEFAULT_MAX_LENGTH, DEFAULTS } from '../defaults.js';
import { TrainingRun, withRun } from './run.js';
import { communicator, fileStamps, runSettings, share, shareOf, startTogether, type Communicator } from './distributed.js';
import type { Targets } from '../model/bert.js';

export interface FinetuneOptions {
  modelDir: string;
  out: string;
  family: AnyFamily;
  /** config.json fields of the new head (the family's, and the dropout to fine-tune with) */
  labelConfig: Partial<BertConfig>;
  /** tokens per example in training: recorded in config.json, the default of predict and eval */
  maxLength?: number;
  train: Dataset<unknown>;
  dev?: Dataset<unknown> | null;
  epochs: number;
  lr: number;
  /** which settings came from the model-size table (finetune-defaults.ts), for the report */
  sizeDefaults?: { row: string; flags: string[] };
  batchSize: number;
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  gradAccum: number;
  scheduler: 'linear' | 'constant';
  shuffle: boolean;
  seed: number;
  evalEvery?: number;
  earlyStopping?: number;
  resume?: boolean;
  /** start a new run in an `out` that holds a model (else refused; see prepareOutDir) */
  overwrite?: boolean;
  /** save the resumable last/ every N steps (default: every SAVE_EVERY_SECONDS of work) */
  saveEvery?: number;
  onStep?: (s: { step: number; steps: number; epoch: number; loss: number; lr: number; examplesPerSecond: number; elapsed: number }) => void;
  onEval?: (e: DevReport) => void;
  shouldStop?: () => boolean;
  /** skip (and count) steps whose loss or gradients are not finite, instead of stopping */
  skipNonfinite?: boolean;
  /** bf16: mixed-precision linear layers (BertForTask.setTrainingDtype); default fp32 */
  dtype?: Dtype;
  /** the ranks of a data-parallel run (default: mpirun's, else this process alone); batchSize is each rank's */
  comm?: Communicator;
}

export interface DevReport {
  step: number;
  epoch: number;
  loss: number;
  /** the number the best checkpoint is chosen by: accuracy, micro F1, Pearson or entity F1 */
  score: number;
  metrics: Record<string, unknown>;
  /** evaluated at the end of epoch `epoch` (else every --eval-every steps within it) */
  endOfEpoch?: boolean;
}

/** How often fine-tuning saves its resumable last/ when --save-every does not say (wall time). */
export const SAVE_EVERY_SECONDS = DEFAULTS.finetune.saveEverySeconds;

export interface FinetuneResult {
  model: BertForTask;
  best: DevReport | null;
  steps: number;
  /** the step this run started from (0, or a resumed run's) */
  firstStep: number;
  stopped: boolean;
  /** why the run ended: its epochs done, early stopping, or a stop request (resumable) */
  endedBy: 'epochs' | 'early stopping' | 'stop request';
  skipped: number[];
}

export async function finetuneLoop(o: FinetuneOptions, tok: Tokenizer): Promise<FinetuneResult> {
  const comm = o.comm ?? communicator();
  return startTogether(comm, (agree) => withRun({ ...o, saveEverySeconds: SAVE_EVERY_SECONDS, writer: comm.rank === 0, shouldStop: comm.size > 1 ? undefined : o.shouldStop },
    (run) => runFinetuning(o, tok, run, comm, agree)));
}

/** What a loss averages over in a batch's targets: labelled rows (examples, or tokens for tagging), else the examples. */
function labelled(targets: Targets | null, examples: number): number {
  if (!targets?.labels) return examples;
  let n = 0;
  for (const l of targets.labels) if (l !== -100) n++;
  return n;
}

/** Where a fine-tuning run is in its data: the epoch, the offset into its shuffled order, examples seen. */
interface EpochPosition {
  epoch: number;
  offset: number;
  seen: number;
}

/**
 * Fine-tuning's batches: each epoch's seeded shuffle, a step of up to gradAccum global batches of
 * size × batchSize examples, each rank its slice. A step's info says whether it ends its epoch.
 */
function epochSource(o: FinetuneOptions, comm: Communicator, padId: number, pos: EpochPosition): StepSource<{ epochEnd: boolean }> {
  const train = o.train.examples, globalBatch = o.batchSize * comm.size;
  let order: Int32Array | null = null;
  return {
    async next(step) {
      if (pos.offset >= train.length) { // the last epoch's end (its evaluation is done): the next one
        pos.epoch++;
        pos.offset = 0;
        order = null;
      }
      if (pos.epoch >= o.epochs) return null;
      order ??= o.shuffle ? shuffledOrder(train.length, o.seed, pos.epoch) : Int32Array.from(train.keys());
      let offset = pos.offset;
      const micros: Micro[] = [];
      const count = Math.min(o.gradAccum, Math.ceil((order.length - offset) / globalBatch));
      for (let a = 0; a < count; a++) {
        const global = order.subarray(offset, offset + globalBatch);
        const [b, e] = share(global.length, comm.rank, comm.size);
        const xs = Array.from(global.subarray(b, e), (k) => train[k]);
        offset += global.length;
        const c = xs.length ? o.family.collate(xs, padId, true) : null;
        micros.push({ batch: c?.batch ?? null, targets: c?.targets ?? null, seed: subSeed(BigInt(o.seed), step, a), counts: [labelled(c?.targets ?? null, xs.length)] });
      }
      return {
        micros, info: { epochEnd: offset >= order.length },
        commit: () => {
          pos.seen += offset - pos.offset;
          pos.offset = offset;
        },
      };
    },
  };
}

async function runFinetuning(o: FinetuneOptions, tok: Tokenizer, run: TrainingRun, comm: Communicator, agree: (settings: () => Record<string, unknown>) => void): Promise<FinetuneResult> {
  const last = join(o.out, 'last');
  if (o.resume) run.assertResumable(last);
  assertMemoryFits(modelDirConfig(o.resume ? last : o.modelDir), o.batchSize, o.maxLength ?? DEFAULT_MAX_LENGTH, { training: true, bf16: o.dtype === 'bf16', what: 'fine-tuning' });
  // resumed: the run's own model; else a fresh head, only the encoder's weights from the pretrained model
  const model = o.resume ? loadModelDir(last, { arch: o.family.arch }).model
    : loadModelDir(o.modelDir, { arch: o.family.arch, seed: o.seed, config: { ...o.labelConfig, ...(o.maxLength ? { bert_cli_max_length: o.maxLength } : {}) }, encoderOnly: true }).model;
  const dtype = model.setTrainingDtype(o.dtype ?? 'fp32');
  const train = o.train.examples, dev = o.dev?.examples.length ? o.dev : null;
  const padId = tok.vocab.special('[PAD]');
  const total = Math.ceil(train.length / (o.batchSize * comm.size * o.gradAccum)) * o.epochs;
  const warmup = Math.round(total * o.warmupRatio);
  const schedule = o.scheduler === 'linear' ? linearSchedule(o.lr, warmup, total) : constantSchedule(o.lr, warmup);
  const opt = new AdamW(model.store, { lr: o.lr, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm });
  let step = 0, best: DevReport | null = null, sinceBest = 0, earlyStopped = false;
  const pos: EpochPosition = { epoch: 0, offset: 0, seen: 0 };
  if (o.resume) {
    const st = run.restore(last, model, opt);
    step = st.step;
    pos.epoch = st.data.epoch as number;
    pos.offset = st.data.offset as number;
    best = (st.best as DevReport | null) ?? null;
    sinceBest = (st.sinceBest as number) ?? 0;
  }
  run.startMetrics(o.resume ? step : null);
  const t0 = Date.now(), firstStep = step;
  agree(() => runSettings(model, tok, dtype, {
    family: o.family.name, step, epoch: pos.epoch, offset: pos.offset, train: fileStamps([o.train.file]), dev: fileStamps(dev ? [dev.file] : []),
    options: { epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, warmupRatio: o.warmupRatio, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, gradAccum: o.gradAccum, scheduler: o.scheduler, shuffle: o.shuffle, seed: o.seed, evalEvery: o.evalEvery, earlyStopping: o.earlyStopping, maxLength: o.maxLength },
  }));
  const saveLast = () => run.checkpoint(last, model, tok, opt, { step, seed: o.seed, data: { epoch: pos.epoch, offset: pos.offset }, best, sinceBest }, step);
  // the dev evaluation: the best model kept in out/; true when early stopping ends the run
  const devEval = (endOfEpoch: boolean): boolean => {
    if (!dev) return false;
    const r = evaluate(model, o.family, dev, { batchSize: o.batchSize, padId, comm });
    const rep: DevReport = { step, epoch: pos.epoch, loss: r.loss, score: r.score, metrics: r.metrics, ...(endOfEpoch ? { endOfEpoch } : {}) };
    run.log('dev', { ...rep, metrics: { ...r.metrics, confusion: undefined } });
    o.onEval?.(rep);
    if (!best || rep.score > best.score) {
      best = rep;
      sinceBest = 0;
      if (run.writer) saveModelDir(o.out, model, tok);
    } else if (step > warmup) {
      sinceBest++; // early stopping counts from the end of the warmup: a score still warming up is no plateau
    }
    if (o.earlyStopping && sinceBest >= o.earlyStopping) earlyStopped = true;
    return earlyStopped;
  };
  const evaluatedAt = (k: number) => !!o.evalEvery && k % o.evalEvery === 0;
  // a run resumed at an epoch's end (stopped before its evaluation) evaluates first
  const endedEarly = pos.offset >= train.length && pos.epoch < o.epochs && !evaluatedAt(step) && devEval(true);
  const result = endedEarly ? { step } : await trainingLoop({
    model, opt, run, comm, step, gradAccum: o.gradAccum, source: epochSource(o, comm, padId, pos), save: saveLast, lr: schedule,
    shouldStop: comm.size > 1 ? o.shouldStop : undefined,
    shares: (mine, all) => ({ head: shareOf(mine[0], all[0]) }),
    afterUpdate: (k, loss, _stats, info) => {
      step = k;
      const lr = schedule(k - 1), elapsed = (Date.now() - t0) / 1000;
      run.log('train', { step: k, epoch: pos.epoch + pos.offset / train.length, loss, lr });
      o.onStep?.({ step: k, steps: total, epoch: pos.epoch, loss, lr, examplesPerSecond: pos.seen / Math.max(elapsed, 1e-9), elapsed });
      return evaluatedAt(k) && devEval(info.epochEnd); // early stopping
    },
    // an epoch's end: the dev evaluation, unless the cadence has just run it
    afterStep: (k, info) => {
      step = k;
      return info.epochEnd && !evaluatedAt(k) && devEval(true);
    },
  });
  step = result.step;
  saveLast(); // with the dev evaluation's best, which may be newer than a periodic save of this step
  if (!dev) saveModelDir(o.out, model, tok); // no dev set to choose by: the final model
  const endedBy: FinetuneResult['endedBy'] = run.stopped ? 'stop request' : earlyStopped ? 'early stopping' : 'epochs';
  reportFinetuning(o, run, model, dtype, { step, total, firstStep, seconds: (Date.now() - t0) / 1000, seen: pos.seen, best, endedBy });
  return { model, best, steps: step, firstStep, stopped: run.stopped, skipped: run.health.skipped, endedBy };
}

function reportFinetuning(o: FinetuneOptions, run: TrainingRun, model: BertForTask, dtype: string, r: { step: number; total: number; firstStep: number; seconds: number; seen: number; best: DevReport | null; endedBy: string }): void {
  const b = r.best, train = o.train.examples, dev = o.dev?.examples.length ? o.dev : null;
  run.report({
    kind: 'finetune', out: o.out, config: model.cfg, labels: o.family.classes(o.train.labels),
    options: { model: o.modelDir, examples: train.length, devExamples: dev?.examples.length ?? 0, epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, warmupRatio: o.warmupRatio, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, gradAccum: o.gradAccum, scheduler: o.scheduler, shuffle: o.shuffle, seed: o.seed, evalEvery: o.evalEvery, earlyStopping: o.earlyStopping, resume: !!o.resume, dtype, ...(o.sizeDefaults ? { sizeDefaults: `${o.sizeDefaults.flags.join(', ')} from the row for ${o.sizeDefaults.row}` } : {}) },
    summary: [
      ['task', o.family.name],
      ['steps', `${r.step} of ${r.total}${run.stopped ? ' (stopped; --resume goes on)' : ''}`],
      ['ended by', r.endedBy],
      ['this run', `${r.step - r.firstStep} steps in ${r.seconds.toFixed(1)} s, ${(r.seen / Math.max(r.seconds, 1e-9)).toFixed(1)} examples/s`],
      ['training examples', String(train.length)],
      ['best dev score', b ? `${(100 * b.score).toFixed(2)}% at step ${b.step}` : 'no dev set'],
    ],
    best: b,
  });
}
