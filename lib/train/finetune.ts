// The fine-tuning loop behind `bert-cli finetune` for the sequence task families: every parameter
// of the pretrained encoder is trained under a freshly initialised head (BERT's recipe), with AdamW,
// linear warmup then linear decay (or constant), clipping, gradient accumulation and a seeded
// shuffle each epoch. The dev set is evaluated after each epoch (and every N steps); the best model
// is kept in the output directory, the latest state in out/last for --resume.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BertError } from '../errors.js';
import { loadModelDir, loadTrainingState, saveModelDir, saveTrainingState } from '../io/model-dir.js';
import type { BertForTask } from '../model/bert.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { collateExamples, predictionOf, targetsOf, type Example, type SequenceTask } from '../tasks/sequence.js';
import { classificationMetrics, multilabelMetrics, pearson, spearman } from '../tasks/metrics.js';
import { shuffledOrder } from './data-order.js';
import { AdamW, constantSchedule, linearSchedule } from './optimizer.js';
import { subSeed } from './rng.js';
import type { BertConfig } from '../config.js';

export interface FinetuneOptions {
  modelDir: string;
  out: string;
  task: SequenceTask;
  labels: string[];
  labelConfig: Partial<BertConfig>;
  train: Example[];
  dev?: Example[];
  epochs: number;
  lr: number;
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
  onStep?: (s: { step: number; steps: number; epoch: number; loss: number; lr: number; examplesPerSecond: number; elapsed: number }) => void;
  onEval?: (e: DevReport) => void;
  shouldStop?: () => boolean;
}

export interface DevReport {
  step: number;
  epoch: number;
  loss: number;
  /** the number the best checkpoint is chosen by: accuracy, micro F1 or Pearson */
  score: number;
  metrics: Record<string, unknown>;
}

/** Logits for examples, in batches sorted by length (least padding); rows returned in input order. */
export function predictLogits(model: BertForTask, xs: Example[], batchSize: number, padId: number): Float32Array[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a].ids.length - xs[b].ids.length);
  const out: Float32Array[] = new Array(xs.length);
  const L = model.arch === 'BertForSequenceClassification' ? model.numLabels : 1;
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    const r = model.step(collateExamples(idx.map((k) => xs[k]), padId), null, { training: false });
    idx.forEach((k, j) => (out[k] = r.logits!.slice(j * L, (j + 1) * L)));
  }
  return out;
}

/** Loss and metrics of a labelled set. */
export function evaluateExamples(model: BertForTask, xs: Example[], task: SequenceTask, labels: string[], batchSize: number, padId: number): { loss: number; score: number; metrics: Record<string, unknown> } {
  let lossSum = 0;
  for (let i = 0; i < xs.length; i += batchSize) {
    const b = xs.slice(i, i + batchSize);
    lossSum += model.step(collateExamples(b, padId), targetsOf(b, task, labels.length), { training: false }).loss * b.length;
  }
  const logits = predictLogits(model, xs, batchSize, padId);
  const loss = lossSum / xs.length;
  if (task === 'regression') {
    const gold = xs.map((x) => x.label as number), pred = logits.map((l) => l[0]);
    const p = pearson(pred, gold);
    return { loss, score: p, metrics: { pearson: p, spearman: spearman(pred, gold), mse: pred.reduce((a, v, i) => a + (v - gold[i]) ** 2, 0) / xs.length, count: xs.length } };
  }
  if (task === 'multilabel') {
    const gold = xs.map((x) => Array.from(x.label as Float32Array)), pred = logits.map((l) => Array.from(l, (v) => (v >= 0 ? 1 : 0)));
    const m = multilabelMetrics(gold, pred, labels);
    return { loss, score: m.micro_f1, metrics: { ...m, count: xs.length } };
  }
  const gold = xs.map((x) => x.label as number);
  const pred = logits.map((l) => labels.indexOf(predictionOf(l, task, labels).label as string));
  const m = classificationMetrics(gold, pred, labels);
  return { loss, score: m.accuracy, metrics: { ...m } };
}

export async function finetune(o: FinetuneOptions, tok: Tokenizer): Promise<{ model: BertForTask; best: DevReport | null; steps: number; stopped: boolean }> {
  const padId = tok.vocab.special('[PAD]');
  const last = join(o.out, 'last');
  mkdirSync(o.out, { recursive: true });
  let model: BertForTask;
  if (o.resume) {
    if (!existsSync(join(last, 'training_state.json'))) throw new BertError('nothing to resume: no last/training_state.json', { where: o.out });
    model = loadModelDir(last, { arch: 'BertForSequenceClassification' }).model;
  } else {
    // a fresh head: only the encoder's weights come from the pretrained model
    model = loadModelDir(o.modelDir, { arch: 'BertForSequenceClassification', seed: o.seed, config: o.labelConfig, encoderOnly: true }).model;
  }
  const stepsPerEpoch = Math.ceil(o.train.length / (o.batchSize * o.gradAccum));
  const total = stepsPerEpoch * o.epochs;
  const warmup = Math.round(total * o.warmupRatio);
  const schedule = o.scheduler === 'linear' ? linearSchedule(o.lr, warmup, total) : constantSchedule(o.lr, warmup);
  const opt = new AdamW(model.store, { lr: o.lr, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm });
  let step = 0, epoch = 0, offset = 0;
  let best: DevReport | null = null;
  let sinceBest = 0;
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
  const t0 = Date.now();
  let seen = 0;
  let stopped = false;
  const saveLast = () => {
    saveModelDir(last, model, tok);
    saveTrainingState(last, opt.m, opt.v, opt.t, { step, seed: o.seed, data: { epoch, offset }, best, sinceBest });
  };
  const devEval = (): boolean => {
    if (!o.dev?.length) return false;
    const r = evaluateExamples(model, o.dev, o.task, o.labels, o.batchSize, padId);
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
      let loss = 0;
      for (let a = 0; a < o.gradAccum && offset < order.length; a++) {
        const xs = Array.from(order.subarray(offset, offset + o.batchSize), (k) => o.train[k]);
        offset += xs.length;
        seen += xs.length;
        const r = model.step(collateExamples(xs, padId), targetsOf(xs, o.task, o.labels.length), {
          training: true, backward: true, seed: subSeed(BigInt(o.seed), step, a), gradScale: 1 / o.gradAccum,
        });
        if (!Number.isFinite(r.loss)) throw new BertError(`the loss is ${r.loss} at step ${step + 1}`, { where: o.out });
        loss += r.loss / o.gradAccum;
      }
      const lr = schedule(step);
      opt.step(lr);
      step++;
      const elapsed = (Date.now() - t0) / 1000;
      appendFileSync(metricsPath, JSON.stringify({ type: 'train', step, epoch: epoch + offset / order.length, loss, lr }) + '\n');
      o.onStep?.({ step, steps: total, epoch, loss, lr, examplesPerSecond: seen / Math.max(elapsed, 1e-9), elapsed });
      if (o.evalEvery && step % o.evalEvery === 0 && devEval()) break outer; // early stopping
      if (o.shouldStop?.()) {
        stopped = true;
        break outer;
      }
    }
    if (!(o.evalEvery && step % o.evalEvery === 0) && devEval()) break;
  }
  saveLast();
  if (!o.dev?.length) saveModelDir(o.out, model, tok); // no dev set to choose by: the final model
  return { model, best, steps: step, stopped };
}
