// The fine-tuning loop behind `bert-cli finetune`, for every task family through its TaskFamily: every parameter
// of the pretrained encoder is trained under a freshly initialised head (BERT's recipe), with AdamW,
// linear warmup then linear decay (or constant), clipping, gradient accumulation and a seeded
// shuffle each epoch. The dev set is evaluated after each epoch (and every N steps); the best model
// is kept in the output directory, the latest state in out/last for --resume.
import { join } from 'node:path';
import type { BertConfig } from '../config.js';
import { loadModelDir, modelDirConfig, saveModelDir } from '../io/model-dir.js';
import type { BertForTask } from '../model/bert.js';
import type { Dtype } from '../model/encoder.js';
import { assertMemoryFits } from '../model/memory.js';
import { shuffledOrder, subSeed } from '../rng.js';
import { evaluate } from '../tasks/batching.js';
import type { AnyFamily, Dataset } from '../tasks/family.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { AdamW, constantSchedule, linearSchedule } from './optimizer.js';
import { TrainingRun, withRun } from './run.js';

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
}

export interface DevReport {
  step: number;
  epoch: number;
  loss: number;
  /** the number the best checkpoint is chosen by: accuracy, micro F1, Pearson or entity F1 */
  score: number;
  metrics: Record<string, unknown>;
}

/** How often fine-tuning saves its resumable last/ when --save-every does not say (wall time). */
export const SAVE_EVERY_SECONDS = 300;

export async function finetuneLoop(o: FinetuneOptions, tok: Tokenizer): Promise<{ model: BertForTask; best: DevReport | null; steps: number; stopped: boolean; skipped: number[] }> {
  return withRun({ ...o, saveEverySeconds: SAVE_EVERY_SECONDS }, (run) => runFinetuning(o, tok, run));
}

async function runFinetuning(o: FinetuneOptions, tok: Tokenizer, run: TrainingRun): Promise<{ model: BertForTask; best: DevReport | null; steps: number; stopped: boolean; skipped: number[] }> {
  const last = join(o.out, 'last');
  if (o.resume) run.assertResumable(last);
  assertMemoryFits(modelDirConfig(o.resume ? last : o.modelDir), o.batchSize, o.maxLength ?? 128, { training: true, bf16: o.dtype === 'bf16', what: 'fine-tuning' });
  // resumed: the run's own model; else a fresh head, only the encoder's weights from the pretrained model
  const model = o.resume ? loadModelDir(last, { arch: o.family.arch }).model
    : loadModelDir(o.modelDir, { arch: o.family.arch, seed: o.seed, config: { ...o.labelConfig, ...(o.maxLength ? { bert_cli_max_length: o.maxLength } : {}) }, encoderOnly: true }).model;
  const dtype = model.setTrainingDtype(o.dtype ?? 'fp32');
  const train = o.train.examples, dev = o.dev?.examples.length ? o.dev : null;
  const padId = tok.vocab.special('[PAD]');
  const stepsPerEpoch = Math.ceil(train.length / (o.batchSize * o.gradAccum));
  const total = stepsPerEpoch * o.epochs;
  const warmup = Math.round(total * o.warmupRatio);
  const schedule = o.scheduler === 'linear' ? linearSchedule(o.lr, warmup, total) : constantSchedule(o.lr, warmup);
  const opt = new AdamW(model.store, { lr: o.lr, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm });
  let step = 0, epoch = 0, offset = 0;
  let best: DevReport | null = null;
  let sinceBest = 0;
  if (o.resume) {
    const st = run.restore(last, model, opt);
    step = st.step;
    epoch = st.data.epoch as number;
    offset = st.data.offset as number;
    best = (st.best as DevReport | null) ?? null;
    sinceBest = (st.sinceBest as number) ?? 0;
  }
  run.startMetrics(o.resume ? step : null);
  const t0 = Date.now();
  const firstStep = step;
  let seen = 0;
  const saveLast = () => run.checkpoint(last, model, tok, opt, { step, seed: o.seed, data: { epoch, offset }, best, sinceBest }, step);
  const devEval = (): boolean => {
    if (!dev) return false;
    const r = evaluate(model, o.family, dev, { batchSize: o.batchSize, padId });
    const rep: DevReport = { step, epoch, loss: r.loss, score: r.score, metrics: r.metrics };
    run.log('dev', { ...rep, metrics: { ...r.metrics, confusion: undefined } });
    o.onEval?.(rep);
    if (!best || rep.score > best.score) {
      best = rep;
      sinceBest = 0;
      saveModelDir(o.out, model, tok);
    } else {
      sinceBest++;
    }
    return !!o.earlyStopping && sinceBest >= o.earlyStopping;
  };

  outer: for (; epoch < o.epochs; epoch++, offset = 0) {
    const order = o.shuffle ? shuffledOrder(train.length, o.seed, epoch) : Int32Array.from(train.keys());
    for (; offset < order.length; ) {
      model.store.zeroGrad();
      let loss = 0;
      for (let a = 0; a < o.gradAccum && offset < order.length; a++) {
        const xs = Array.from(order.subarray(offset, offset + o.batchSize), (k) => train[k]);
        offset += xs.length;
        seen += xs.length;
        const { batch, targets } = o.family.collate(xs, padId, true);
        const r = model.step(batch, targets, { training: true, backward: true, seed: subSeed(BigInt(o.seed), step, a), gradScale: 1 / o.gradAccum });
        loss += r.loss / o.gradAccum;
      }
      const lr = schedule(step);
      const ok = run.healthy(step + 1, loss, () => opt.step(lr));
      step++;
      if (!ok) continue;
      const elapsed = (Date.now() - t0) / 1000;
      run.log('train', { step, epoch: epoch + offset / order.length, loss, lr });
      o.onStep?.({ step, steps: total, epoch, loss, lr, examplesPerSecond: seen / Math.max(elapsed, 1e-9), elapsed });
      if (o.evalEvery && step % o.evalEvery === 0 && devEval()) break outer; // early stopping
      if (await run.afterStep(step, saveLast)) break outer;
    }
    if (!(o.evalEvery && step % o.evalEvery === 0) && devEval()) break;
  }
  saveLast(); // with the dev evaluation's best, which may be newer than a periodic save of this step
  if (!dev) saveModelDir(o.out, model, tok); // no dev set to choose by: the final model
  const seconds = (Date.now() - t0) / 1000;
  const b = best as DevReport | null;
  run.report({
    kind: 'finetune', out: o.out, config: model.cfg, labels: o.family.classes(o.train.labels),
    options: { model: o.modelDir, examples: train.length, devExamples: dev?.examples.length ?? 0, epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, warmupRatio: o.warmupRatio, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, gradAccum: o.gradAccum, scheduler: o.scheduler, shuffle: o.shuffle, seed: o.seed, evalEvery: o.evalEvery, earlyStopping: o.earlyStopping, resume: !!o.resume, dtype, ...(o.sizeDefaults ? { sizeDefaults: `${o.sizeDefaults.flags.join(', ')} from the row for ${o.sizeDefaults.row}` } : {}) },
    summary: [
      ['task', o.family.name],
      ['steps', `${step} of ${total}${run.stopped ? ' (stopped; --resume goes on)' : ''}`],
      ['this run', `${step - firstStep} steps in ${seconds.toFixed(1)} s, ${(seen / Math.max(seconds, 1e-9)).toFixed(1)} examples/s`],
      ['training examples', String(train.length)],
      ['best dev score', b ? `${(100 * b.score).toFixed(2)}% at step ${b.step}` : 'no dev set'],
    ],
    best: b,
  });
  return { model, best, steps: step, stopped: run.stopped, skipped: run.health.skipped };
}
