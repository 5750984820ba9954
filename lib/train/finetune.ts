// The fine-tuning loop behind `bert-cli finetune`, for every task family through its adapter: every parameter
// of the pretrained encoder is trained under a freshly initialised head (BERT's recipe), with AdamW,
// linear warmup then linear decay (or constant), clipping, gradient accumulation and a seeded
// shuffle each epoch. The dev set is evaluated after each epoch (and every N steps); the best model
// is kept in the output directory, the latest state in out/last for --resume.
import { appendFileSync, existsSync } from 'node:fs';
import { prepareOutDir, startMetrics } from './out-dir.js';
import { join } from 'node:path';
import { BertError } from '../errors.js';
import { loadModelDir, loadTrainingState, modelDirConfig, saveModelDir } from '../io/model-dir.js';
import type { BertForTask } from '../model/bert.js';
import type { Dtype } from '../model/encoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { TaskAdapter } from '../tasks/adapters.js';
import { shuffledOrder } from './data-order.js';
import { AdamW, constantSchedule, linearSchedule } from './optimizer.js';
import { yieldToEventLoop } from './pretrain.js';
import { StepHealth } from './health.js';
import { subSeed } from './rng.js';
import type { BertConfig } from '../config.js';
import { assertMemoryFits } from '../model/memory.js';
import { writeReport } from '../report/training-report.js';

export interface FinetuneOptions<E> {
  modelDir: string;
  out: string;
  adapter: TaskAdapter<E>;
  labelConfig: Partial<BertConfig>;
  /** tokens per example in training: recorded in config.json, the default of predict and eval */
  maxLength?: number;
  train: E[];
  dev?: E[];
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
  /** for the report: the task family and the class names (confusion matrix) */
  task?: string;
  labels?: string[];
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

export async function finetune<E>(o: FinetuneOptions<E>, tok: Tokenizer): Promise<{ model: BertForTask; best: DevReport | null; steps: number; stopped: boolean; skipped: number[] }> {
  const release = prepareOutDir(o.out, o); // one writer per directory, for the whole run
  try {
    return await runFinetuning(o, tok);
  } finally {
    release();
  }
}

async function runFinetuning<E>(o: FinetuneOptions<E>, tok: Tokenizer): Promise<{ model: BertForTask; best: DevReport | null; steps: number; stopped: boolean; skipped: number[] }> {
  const last = join(o.out, 'last');
  if (o.resume && !existsSync(join(last, 'training_state.json'))) throw new BertError('nothing to resume: no last/training_state.json', { where: o.out });
  assertMemoryFits(modelDirConfig(o.resume ? last : o.modelDir), o.batchSize, o.maxLength ?? 128, { training: true, bf16: o.dtype === 'bf16', what: 'fine-tuning' });
  let model: BertForTask;
  if (o.resume) {
    model = loadModelDir(last, { arch: o.adapter.arch }).model;
  } else {
    // a fresh head: only the encoder's weights come from the pretrained model
    model = loadModelDir(o.modelDir, { arch: o.adapter.arch, seed: o.seed, config: { ...o.labelConfig, ...(o.maxLength ? { bert_cli_max_length: o.maxLength } : {}) }, encoderOnly: true }).model;
  }
  const dtype = model.setTrainingDtype(o.dtype ?? 'fp32');
  const stepsPerEpoch = Math.ceil(o.train.length / (o.batchSize * o.gradAccum));
  const total = stepsPerEpoch * o.epochs;
  const warmup = Math.round(total * o.warmupRatio);
  const schedule = o.scheduler === 'linear' ? linearSchedule(o.lr, warmup, total) : constantSchedule(o.lr, warmup);
  const opt = new AdamW(model.store, { lr: o.lr, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm });
  let step = 0, epoch = 0, offset = 0;
  let best: DevReport | null = null;
  let sinceBest = 0;
  const health = new StepHealth(!!o.skipNonfinite, o.out);
  if (o.resume) {
    const st = loadTrainingState(last, model.store.size);
    opt.m.set(st.m);
    opt.v.set(st.v);
    opt.t = st.adamStep;
    step = st.state.step;
    epoch = st.state.data.epoch as number;
    offset = st.state.data.offset as number;
    best = (st.state.best as DevReport | null) ?? null;
    sinceBest = (st.state.sinceBest as number) ?? 0;
  }
  const metricsPath = join(o.out, 'metrics.jsonl');
  startMetrics(metricsPath, o.resume ? step : null);
  const t0 = Date.now();
  const firstStep = step;
  let lastSave = Date.now();
  let seen = 0;
  let stopped = false;
  const saveLast = () => {
    saveModelDir(last, model, tok, {}, { m: opt.m, v: opt.v, adamStep: opt.t, state: { step, seed: o.seed, data: { epoch, offset }, best, sinceBest } });
  };
  const devEval = (): boolean => {
    if (!o.dev?.length) return false;
    const r = o.adapter.evaluate(model, o.dev, o.batchSize);
    const rep: DevReport = { step, epoch, loss: r.loss, score: r.score, metrics: r.metrics };
    appendFileSync(metricsPath, JSON.stringify({ type: 'dev', ...rep, metrics: { ...r.metrics, confusion: undefined } }) + '\n');
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
    const order = o.shuffle ? shuffledOrder(o.train.length, o.seed, epoch) : Int32Array.from(o.train.keys());
    for (; offset < order.length; ) {
      model.store.zeroGrad();
      let loss = 0, healthy = true;
      for (let a = 0; a < o.gradAccum && offset < order.length; a++) {
        const xs = Array.from(order.subarray(offset, offset + o.batchSize), (k) => o.train[k]);
        offset += xs.length;
        seen += xs.length;
        const r = o.adapter.step(model, xs, { training: true, backward: true, seed: subSeed(BigInt(o.seed), step, a), gradScale: 1 / o.gradAccum });
        healthy &&= health.check('loss', r.loss, step + 1);
        loss += r.loss / o.gradAccum;
      }
      const lr = schedule(step);
      if (!(healthy && health.check('gradient norm', opt.step(lr), step + 1))) {
        appendFileSync(metricsPath, JSON.stringify({ type: 'skipped', step: step + 1, loss }) + '\n');
        step++;
        continue;
      }
      step++;
      const elapsed = (Date.now() - t0) / 1000;
      appendFileSync(metricsPath, JSON.stringify({ type: 'train', step, epoch: epoch + offset / order.length, loss, lr }) + '\n');
      o.onStep?.({ step, steps: total, epoch, loss, lr, examplesPerSecond: seen / Math.max(elapsed, 1e-9), elapsed });
      if (o.evalEvery && step % o.evalEvery === 0 && devEval()) break outer; // early stopping
      // a resumable last/ now and then, so a kill (SIGKILL, a crash, a lost machine) costs minutes
      if (o.saveEvery ? step % o.saveEvery === 0 : Date.now() - lastSave >= SAVE_EVERY_SECONDS * 1000) {
        saveLast();
        lastSave = Date.now();
      }
      await yieldToEventLoop(); // let signal handlers and progress timers run between steps
      if (o.shouldStop?.()) {
        stopped = true;
        break outer;
      }
    }
    if (!(o.evalEvery && step % o.evalEvery === 0) && devEval()) break;
  }
  saveLast();
  if (!o.dev?.length) saveModelDir(o.out, model, tok); // no dev set to choose by: the final model
  const seconds = (Date.now() - t0) / 1000;
  const b = best as DevReport | null;
  writeReport({
    kind: 'finetune', out: o.out, config: model.cfg, labels: o.labels,
    options: { model: o.modelDir, examples: o.train.length, devExamples: o.dev?.length ?? 0, epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, warmupRatio: o.warmupRatio, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, gradAccum: o.gradAccum, scheduler: o.scheduler, shuffle: o.shuffle, seed: o.seed, evalEvery: o.evalEvery, earlyStopping: o.earlyStopping, resume: !!o.resume, dtype, ...(o.sizeDefaults ? { sizeDefaults: `${o.sizeDefaults.flags.join(', ')} from the row for ${o.sizeDefaults.row}` } : {}) },
    summary: [
      ['task', o.task ?? o.adapter.arch],
      ['steps', `${step} of ${total}${stopped ? ' (stopped; --resume goes on)' : ''}`],
      ['this run', `${step - firstStep} steps in ${seconds.toFixed(1)} s, ${(seen / Math.max(seconds, 1e-9)).toFixed(1)} examples/s`],
      ['training examples', String(o.train.length)],
      ['best dev score', b ? `${(100 * b.score).toFixed(2)}% at step ${b.step}` : 'no dev set'],
    ],
    best: b,
  });
  return { model, best, steps: step, stopped, skipped: health.skipped };
}
