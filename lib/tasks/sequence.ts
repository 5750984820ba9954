// The sequence-level task families: classify (one text), pair (two texts), regression (a score),
// multilabel (several labels per text) — examples from records, batches with dynamic padding, the
// head's targets, and predictions as JSON.
import type { BertConfig } from '../config.js';
import { BertError, UsageError } from '../errors.js';
import type { Architecture } from '../model/bert.js';
import type { Batch } from '../model/encoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { RecordSource } from './records.js';

export const SEQUENCE_TASKS = ['classify', 'pair', 'regression', 'multilabel'] as const;
export type SequenceTask = (typeof SEQUENCE_TASKS)[number];

export interface Columns {
  text: string;
  pair: string;
  label: string;
}

export function defaultColumns(task: SequenceTask): Columns {
  return task === 'pair' ? { text: 'text_a', pair: 'text_b', label: 'label' } : { text: 'text', pair: 'text_b', label: 'label' };
}

export interface Example {
  ids: Int32Array;
  typeIds: Int32Array;
  /** class id; score; or 0/1 per label for multilabel; null when unlabelled */
  label: number | Float32Array | null;
  /** position in the input, for output order */
  index: number;
}

/** Splits a multilabel field: a JSON array, or names separated by , | or ; */
export function splitLabels(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return String(v ?? '').split(/[,|;]/).map((s) => s.trim()).filter(Boolean);
}

/** The label names found in training data, sorted (as HF's run_glue sorts them). */
export function labelNames(src: RecordSource, task: SequenceTask, column: string): string[] {
  if (task === 'regression') return ['score'];
  const set = new Set<string>();
  src.rows.forEach((r, i) => {
    const v = r[column];
    if (v === undefined || v === null || v === '') throw new BertError(`no '${column}' field`, { where: `${src.file}:${src.lines[i]}`, hint: '--label-column names it' });
    // a class is named by a string or a number (HF's integer class ids); a list is multilabel's alone
    if (task !== 'multilabel' && typeof v !== 'string' && typeof v !== 'number') {
      throw new BertError(`label must be a string or a number, not ${JSON.stringify(v).slice(0, 40)}`, { where: `${src.file}:${src.lines[i]}`, hint: task === 'classify' ? 'a list of labels is --task multilabel' : undefined });
    }
    for (const l of task === 'multilabel' ? splitLabels(v) : [String(v)]) set.add(l);
  });
  if (task !== 'multilabel' && set.size < 2) throw new BertError(`the training data has ${set.size} label, a classifier needs at least 2`, { where: src.file });
  return [...set].sort();
}

/** config.json fields for a head over these labels (HF's id2label, label2id, problem_type). */
export function labelConfig(task: SequenceTask, labels: string[]): Partial<BertConfig> {
  return {
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    problem_type: task === 'regression' ? 'regression' : task === 'multilabel' ? 'multi_label_classification' : 'single_label_classification',
    // HF ignores unknown fields; predict and eval read the task family from here
    bert_cli_task: task,
  };
}

export interface EncodedSet {
  examples: Example[];
  /** texts cut to maxLength */
  truncated: number;
}

export function encodeExamples(src: RecordSource, tok: Tokenizer, task: SequenceTask, cols: Columns, labels: string[] | null, maxLength: number): EncodedSet {
  const ids = labels ? new Map(labels.map((l, i) => [l, i])) : null;
  const out: Example[] = [];
  let truncated = 0;
  src.rows.forEach((row, i) => {
    const where = `${src.file}:${src.lines[i]}`;
    const text = row[cols.text];
    if (text === undefined || text === null) throw new BertError(`no '${cols.text}' field`, { where, hint: `--text-column names it; columns are ${src.columns.join(', ')}` });
    if (typeof text !== 'string') throw new BertError(`'${cols.text}' must be a string, not ${JSON.stringify(text).slice(0, 40)}`, { where });
    let pair: string | null = null;
    if (task === 'pair') {
      const b = row[cols.pair];
      if (b === undefined || b === null) throw new BertError(`no '${cols.pair}' field`, { where, hint: '--text-pair-column names it' });
      if (typeof b !== 'string') throw new BertError(`'${cols.pair}' must be a string, not ${JSON.stringify(b).slice(0, 40)}`, { where });
      pair = b;
    }
    const full = tok.encode(String(text), pair);
    const enc = full.ids.length > maxLength ? tok.encode(String(text), pair, { maxLength }) : full;
    if (enc !== full) truncated++;
    let label: Example['label'] = null;
    if (ids) {
      const v = row[cols.label];
      if (v === undefined || v === null || v === '') throw new BertError(`no '${cols.label}' field`, { where, hint: '--label-column names it' });
      if (task === 'regression') {
        const x = Number(v);
        if (!Number.isFinite(x)) throw new BertError(`label '${v}' is not a number`, { where });
        label = x;
      } else if (task === 'multilabel') {
        const vec = new Float32Array(labels!.length);
        for (const l of splitLabels(v)) {
          const k = ids.get(l);
          if (k === undefined) throw new BertError(`unknown label '${l}'`, { where, hint: `the model knows ${labels!.join(', ')}` });
          vec[k] = 1;
        }
        label = vec;
      } else {
        const k = ids.get(String(v));
        if (k === undefined) throw new BertError(`unknown label '${v}'`, { where, hint: `the model knows ${labels!.join(', ')}` });
        label = k;
      }
    }
    out.push({ ids: Int32Array.from(enc.ids), typeIds: Int32Array.from(enc.typeIds), label, index: i });
  });
  return { examples: out, truncated };
}

export const TASKS = [...SEQUENCE_TASKS, 'tag', 'qa', 'choice'] as const;
export type Task = (typeof TASKS)[number];

/** Tokens per example for predict and eval: what the model was fine-tuned with, else BERT's usual 128. */
export function maxLengthOfConfig(cfg: BertConfig, flag?: number): number {
  if (flag !== undefined) {
    if (flag > cfg.max_position_embeddings) throw new UsageError(`--max-length ${flag} is over the model's max_position_embeddings ${cfg.max_position_embeddings}`, { where: '--max-length' });
    return flag;
  }
  const n = cfg.bert_cli_max_length;
  return Number.isInteger(n) && (n as number) > 0 ? Math.min(n as number, cfg.max_position_embeddings) : Math.min(128, cfg.max_position_embeddings);
}

/** The model class a task family's fine-tuned directory loads as. */
export function architectureOfTask(task: Task): Architecture {
  return task === 'tag' ? 'BertForTokenClassification' : task === 'qa' ? 'BertForQuestionAnswering' : task === 'choice' ? 'BertForMultipleChoice' : 'BertForSequenceClassification';
}

/** The task family a fine-tuned model directory was trained for. */
export function taskOfConfig(cfg: BertConfig): Task {
  const t = cfg.bert_cli_task;
  if (typeof t === 'string' && (TASKS as readonly string[]).includes(t)) return t as Task;
  if (cfg.architectures?.[0] === 'BertForTokenClassification') return 'tag';
  if (cfg.architectures?.[0] === 'BertForMultipleChoice') return 'choice';
  if (cfg.architectures?.[0] === 'BertForQuestionAnswering') return 'qa';
  if (cfg.problem_type === 'regression') return 'regression';
  if (cfg.problem_type === 'multi_label_classification') return 'multilabel';
  return 'classify';
}

/** Unlabelled records from plain text lines: one text a line, TEXT_A<TAB>TEXT_B for pairs. */
export function recordsFromLines(lines: { text: string; file: string; line: number }[], task: SequenceTask, cols: Columns): RecordSource {
  const rows = lines.map((l) => {
    if (task !== 'pair') return { [cols.text]: l.text };
    const tab = l.text.indexOf('\t');
    if (tab < 0) throw new BertError('expected TEXT_A<TAB>TEXT_B (no tab on this line)', { where: `${l.file}:${l.line}` });
    return { [cols.text]: l.text.slice(0, tab), [cols.pair]: l.text.slice(tab + 1) };
  });
  return { rows, lines: lines.map((l) => l.line), columns: [cols.text, cols.pair], file: lines[0]?.file ?? '<stdin>', skipped: [] };
}

/** A batch padded to its longest example. */
export function collateExamples(xs: Example[], padId: number): Batch {
  const B = xs.length, T = Math.max(...xs.map((x) => x.ids.length));
  const inputIds = new Int32Array(B * T).fill(padId), typeIds = new Int32Array(B * T), attentionMask = new Int32Array(B * T);
  xs.forEach((x, b) => {
    inputIds.set(x.ids, b * T);
    typeIds.set(x.typeIds, b * T);
    attentionMask.fill(1, b * T, b * T + x.ids.length);
  });
  return { B, T, inputIds, typeIds, attentionMask };
}

export function targetsOf(xs: Example[], task: SequenceTask, numLabels: number) {
  if (task === 'regression') return { floatLabels: Float32Array.from(xs, (x) => x.label as number) };
  if (task === 'multilabel') {
    const f = new Float32Array(xs.length * numLabels);
    xs.forEach((x, i) => f.set(x.label as Float32Array, i * numLabels));
    return { floatLabels: f };
  }
  return { labels: Int32Array.from(xs, (x) => x.label as number) };
}

/** One prediction record from a row of logits. */
export function predictionOf(logits: Float32Array, task: SequenceTask, labels: string[], topK?: number): Record<string, unknown> {
  if (task === 'regression') return { score: logits[0] };
  if (task === 'multilabel') {
    const scores: Record<string, number> = {};
    const chosen: string[] = [];
    labels.forEach((l, k) => {
      const p = 1 / (1 + Math.exp(-logits[k]));
      scores[l] = p;
      if (p >= 0.5) chosen.push(l);
    });
    return { labels: chosen, scores };
  }
  const m = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  const probs = e.map((v) => v / z);
  let best = 0;
  for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
  let order = labels.map((_, k) => k).sort((a, b) => probs[b] - probs[a]);
  if (topK) order = order.slice(0, topK);
  return { label: labels[best], score: probs[best], scores: Object.fromEntries(order.map((k) => [labels[k], probs[k]])), logits: Array.from(logits) };
}
