// What the fine-tuning loop needs from a task family: the model class, one training/eval step over
// a list of examples, and the dev metrics (with the number the best checkpoint is chosen by).
import type { Architecture, BertForTask, StepResult } from '../model/bert.js';
import { classificationMetrics, multilabelMetrics, pearson, spearman } from './metrics.js';
import { collateExamples, predictionOf, targetsOf, type Example, type SequenceTask } from './sequence.js';
import { collateTagged, taggingMetrics, type TagExample } from './tagging.js';
import { collateChoices, type ChoiceExample } from './choice.js';
import { postprocessQa, squadMetrics, type PostprocessOptions, type QaFeature, type QaRecord } from './qa.js';

export interface StepOptions {
  training: boolean;
  backward?: boolean;
  seed?: bigint;
  gradScale?: number;
}

export interface TaskAdapter<E> {
  arch: Architecture;
  step(model: BertForTask, xs: E[], opts: StepOptions): StepResult;
  evaluate(model: BertForTask, xs: E[], batchSize: number): { loss: number; score: number; metrics: Record<string, unknown> };
}

function meanLoss<E>(a: TaskAdapter<E>, model: BertForTask, xs: E[], batchSize: number): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i += batchSize) {
    const b = xs.slice(i, i + batchSize);
    sum += a.step(model, b, { training: false }).loss * b.length;
  }
  return sum / xs.length;
}

/** Logits per example, in batches sorted by length (least padding), returned in input order; `onBatch` after each batch. */
export function sequenceLogits(model: BertForTask, xs: Example[], batchSize: number, padId: number, onBatch?: (done: number) => void): Float32Array[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a].ids.length - xs[b].ids.length);
  const out: Float32Array[] = new Array(xs.length);
  const L = model.numLabels;
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    const r = model.step(collateExamples(idx.map((k) => xs[k]), padId), null, { training: false });
    idx.forEach((k, j) => (out[k] = r.logits!.slice(j * L, (j + 1) * L)));
    onBatch?.(i + idx.length);
  }
  return out;
}

export function sequenceAdapter(task: SequenceTask, labels: string[], padId: number): TaskAdapter<Example> {
  const a: TaskAdapter<Example> = {
    arch: 'BertForSequenceClassification',
    step: (model, xs, opts) => model.step(collateExamples(xs, padId), targetsOf(xs, task, labels.length), opts),
    evaluate: (model, xs, batchSize) => {
      const loss = meanLoss(a, model, xs, batchSize);
      const logits = sequenceLogits(model, xs, batchSize, padId);
      if (task === 'regression') {
        const gold = xs.map((x) => x.label as number), pred = logits.map((l) => l[0]);
        const p = pearson(pred, gold);
        return { loss, score: p, metrics: { pearson: p, spearman: spearman(pred, gold), mse: pred.reduce((s, v, i) => s + (v - gold[i]) ** 2, 0) / xs.length, count: xs.length } };
      }
      if (task === 'multilabel') {
        const m = multilabelMetrics(xs.map((x) => Array.from(x.label as Float32Array)), logits.map((l) => Array.from(l, (v) => (v >= 0 ? 1 : 0))), labels);
        return { loss, score: m.micro_f1, metrics: { ...m, count: xs.length } };
      }
      const m = classificationMetrics(xs.map((x) => x.label as number), logits.map((l) => labels.indexOf(predictionOf(l, task, labels).label as string)), labels);
      return { loss, score: m.accuracy, metrics: { ...m } };
    },
  };
  return a;
}

/** Predicted tags per word (null for words cut by the max length), in input order. */
export function predictTags(model: BertForTask, xs: TagExample[], labels: string[], batchSize: number, padId: number): (string | null)[][] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a].ids.length - xs[b].ids.length);
  const out: (string | null)[][] = new Array(xs.length);
  const L = model.numLabels;
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    const { batch } = collateTagged(idx.map((k) => xs[k]), padId);
    const r = model.step(batch, null, { training: false });
    idx.forEach((k, j) => {
      out[k] = Array.from(xs[k].firstPiece, (t) => {
        if (t < 0) return null;
        const row = r.logits!.subarray((j * batch.T + t) * L, (j * batch.T + t + 1) * L);
        let best = 0;
        for (let c = 1; c < L; c++) if (row[c] > row[best]) best = c;
        return labels[best];
      });
    });
  }
  return out;
}

export function taggingAdapter(labels: string[], padId: number): TaskAdapter<TagExample> {
  const iob = labels.some((l) => /^[BIES]-/.test(l));
  const a: TaskAdapter<TagExample> = {
    arch: 'BertForTokenClassification',
    step: (model, xs, opts) => {
      const { batch, labels: l } = collateTagged(xs, padId);
      return model.step(batch, { labels: l }, opts);
    },
    evaluate: (model, xs, batchSize) => {
      const loss = meanLoss(a, model, xs, batchSize);
      const pred = predictTags(model, xs, labels, batchSize, padId).map((p) => p.map((t) => t ?? 'O'));
      const gold = xs.map((x) => Array.from(x.firstPiece, (t) => (t < 0 ? 'O' : labels[x.labels![t]])));
      // words cut by the max length are scored as 'O' on both sides; entity F1 for IOB tags, else token accuracy
      const m = taggingMetrics(gold, pred);
      return { loss, score: iob ? m.f1 : m.token_accuracy, metrics: { ...m } };
    },
  };
  return a;
}

/** Softmax over each example's candidate scores, in input order. */
export function predictChoices(model: BertForTask, xs: ChoiceExample[], batchSize: number, padId: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < xs.length; i += batchSize) {
    const b = xs.slice(i, i + batchSize);
    const r = model.step(collateChoices(b, padId), null, { training: false });
    let row = 0;
    for (const x of b) {
      const scores = Array.from(r.logits!.subarray(row, row + x.ids.length));
      row += x.ids.length;
      const m = Math.max(...scores), e = scores.map((v) => Math.exp(v - m)), z = e.reduce((p, q) => p + q, 0);
      out.push(e.map((v) => v / z));
    }
  }
  return out;
}

export function choiceAdapter(padId: number): TaskAdapter<ChoiceExample> {
  const a: TaskAdapter<ChoiceExample> = {
    arch: 'BertForMultipleChoice',
    step: (model, xs, opts) => model.step(collateChoices(xs, padId), { labels: Int32Array.from(xs, (x) => x.label ?? 0) }, opts),
    evaluate: (model, xs, batchSize) => {
      const loss = meanLoss(a, model, xs, batchSize);
      const probs = predictChoices(model, xs, batchSize, padId);
      let right = 0;
      probs.forEach((p, i) => { if (p.indexOf(Math.max(...p)) === xs[i].label) right++; });
      const accuracy = right / xs.length;
      return { loss, score: accuracy, metrics: { accuracy, count: xs.length } };
    },
  };
  return a;
}

/** Start/end logits ([T, 2] per window, T its own length), in input order. */
export function qaLogits(model: BertForTask, xs: QaFeature[], batchSize: number, padId: number): Float32Array[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a].ids.length - xs[b].ids.length);
  const out: Float32Array[] = new Array(xs.length);
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    const batch = collateExamples(idx.map((k) => xs[k]), padId);
    const r = model.step(batch, null, { training: false });
    idx.forEach((k, j) => (out[k] = r.logits!.slice(2 * j * batch.T, 2 * (j * batch.T + xs[k].ids.length))));
  }
  return out;
}

/** Extractive QA: trains on windows; evaluates whole questions (`records`, the set the windows came from). */
export function qaAdapter(records: QaRecord[], padId: number, post: PostprocessOptions): TaskAdapter<QaFeature> {
  const a: TaskAdapter<QaFeature> = {
    arch: 'BertForQuestionAnswering',
    step: (model, xs, opts) => model.step(collateExamples(xs, padId), {
      startPositions: Int32Array.from(xs, (x) => x.startPos), endPositions: Int32Array.from(xs, (x) => x.endPos),
    }, opts),
    evaluate: (model, xs, batchSize) => {
      const loss = meanLoss(a, model, xs, batchSize);
      const preds = postprocessQa(records, xs, qaLogits(model, xs, batchSize, padId), post);
      const m = squadMetrics(records, preds);
      return { loss, score: m.f1 / 100, metrics: { ...m } };
    },
  };
  return a;
}
