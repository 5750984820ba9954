// What the sequence-level families (classify.ts, pair.ts, regression.ts, multilabel.ts) share: one
// example per record (a text, or a pair), the label from its column, a prediction from the pooled
// [CLS] — and `sequenceFamily`, which makes a family of them from its metric and its output rows.
import { MAX_LINE_CHARS } from '../io/lines.js';
import { DEFAULT_MAX_LENGTH } from '../defaults.js';
import type { BertConfig } from '../config.js';
import { BertError } from '../errors.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { Targets } from '../model/bert.js';
import { argmax, padBatch, softmax } from './batching.js';
import { classificationMetrics } from './metrics.js';
import type { Chunk, Columns, Dataset, FamilyContext, Scored, TaskFamily } from './family.js';
import { RECORD_EXTENSIONS, streamChunks } from './inputs.js';
import { readRecords, streamRecords, type RecordSource } from './records.js';
export type { Columns } from './family.js';

export interface Example {
  ids: Int32Array;
  typeIds: Int32Array;
  /** class id; score; or 0/1 per label for multilabel; null when unlabelled */
  label: number | Float32Array | null;
  /** position in the input, for output order */
  index: number;
}

/** A record's label field must be there and not empty. */
export function requireLabel(v: unknown, column: string, where: string): void {
  if (v === undefined || v === null || v === '') throw new BertError(`no '${column}' field`, { where, hint: '--label-column names it' });
}

/** A label field of a record, checked: a string or a number (HF's integer class ids). */
export function classField(v: unknown, column: string, where: string, hint?: string): string {
  requireLabel(v, column, where);
  if (typeof v !== 'string' && typeof v !== 'number') throw new BertError(`label must be a string or a number, not ${JSON.stringify(v).slice(0, 40)}`, { where, hint });
  return String(v);
}

/** config.json fields for a head over these labels (HF's id2label, label2id, problem_type). */
export function labelConfig(task: string, labels: string[], problemType?: BertConfig['problem_type']): Partial<BertConfig> {
  return {
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    problem_type: problemType,
    // HF ignores unknown fields; predict and eval read the task family from here
    bert_cli_task: task,
  };
}

/** How one sequence-level family reads, scores and prints its labels (classify.ts, pair.ts, …). */
export interface SequenceSpec {
  task: string;
  /** two texts per example */
  pair: boolean;
  metric: string;
  /** config.json's problem_type */
  problemType: BertConfig['problem_type'];
  recognizes: (cfg: BertConfig) => boolean;
  /** the label names found in the training records (sorted, as HF's run_glue sorts them) */
  names: (src: RecordSource, column: string) => string[];
  /** a record's label field as the head's target */
  label: (v: unknown, ids: Map<string, number>, where: string, column: string) => number | Float32Array;
  targets: (xs: Example[]) => Targets;
  /** a prediction row from one example's logits */
  row: (logits: Float32Array, labels: string[], topK?: number) => Record<string, unknown>;
  score: (logits: Float32Array[], data: Dataset<Example>) => Scored;
  /** whether the report draws a confusion matrix over the labels */
  classes: boolean;
}

export interface EncodedSet {
  examples: Example[];
  /** texts cut to maxLength */
  truncated: number;
}

export function encodeExamples(src: RecordSource, tok: Tokenizer, spec: SequenceSpec, cols: Columns, labels: string[] | null, maxLength: number): EncodedSet {
  const ids = labels ? new Map(labels.map((l, i) => [l, i])) : null;
  const out: Example[] = [];
  let truncated = 0;
  src.rows.forEach((row, i) => {
    const where = `${src.file}:${src.lines[i]}`;
    const text = row[cols.text];
    if (text === undefined || text === null) throw new BertError(`no '${cols.text}' field`, { where, hint: `--text-column names it; columns are ${src.columns.join(', ')}` });
    if (typeof text !== 'string') throw new BertError(`'${cols.text}' must be a string, not ${JSON.stringify(text).slice(0, 40)}`, { where });
    let pair: string | null = null;
    if (spec.pair) {
      const b = row[cols.pair];
      if (b === undefined || b === null) throw new BertError(`no '${cols.pair}' field`, { where, hint: '--text-pair-column names it' });
      if (typeof b !== 'string') throw new BertError(`'${cols.pair}' must be a string, not ${JSON.stringify(b).slice(0, 40)}`, { where });
      pair = b;
    }
    // a field is cut where a line is (MAX_LINE_CHARS): what a model reads of a 10 MB cell is its first
    // maxLength tokens, and tokenizing the rest cost ~150 bytes of memory per character
    const a = cutField(String(text)), b = pair === null ? null : cutField(pair);
    const full = tok.encode(a, b);
    const enc = full.ids.length > maxLength ? tok.encode(a, b, { maxLength }) : full;
    if (enc !== full) truncated++;
    const label = ids ? spec.label(row[cols.label], ids, where, cols.label) : null;
    out.push({ ids: Int32Array.from(enc.ids), typeIds: Int32Array.from(enc.typeIds), label, index: i });
  });
  return { examples: out, truncated };
}

/** Moves the rows with no label (missing, null or an empty cell) to `skipped`. */
function dropUnlabelled(src: RecordSource, column: string): void {
  // a column the file does not have is a wrong --label-column, not rows to skip: the reader says so
  if (!src.columns.includes(column)) return;
  const keep = src.rows.map((r) => r[column] !== undefined && r[column] !== null && r[column] !== '');
  src.rows.forEach((_, i) => keep[i] || src.skipped.push({ line: src.lines[i], reason: `no '${column}' field` }));
  src.rows = src.rows.filter((_, i) => keep[i]);
  src.lines = src.lines.filter((_, i) => keep[i]);
}

/** A field's text cut at MAX_LINE_CHARS, as lines are while read. */
export const cutField = (t: string): string => (t.length > MAX_LINE_CHARS ? t.slice(0, MAX_LINE_CHARS) : t);

/** Unlabelled records from plain text lines: one text a line, TEXT_A<TAB>TEXT_B for pairs. */
export function recordsFromLines(lines: { text: string; file: string; line: number }[], pair: boolean, cols: Columns): RecordSource {
  const rows = lines.map((l) => {
    if (!pair) return { [cols.text]: l.text };
    const tab = l.text.indexOf('\t');
    if (tab < 0) throw new BertError('expected TEXT_A<TAB>TEXT_B (no tab on this line)', { where: `${l.file}:${l.line}` });
    return { [cols.text]: l.text.slice(0, tab), [cols.pair]: l.text.slice(tab + 1) };
  });
  return { rows, lines: lines.map((l) => l.line), columns: [cols.text, cols.pair], file: lines[0]?.file ?? '<stdin>', skipped: [] };
}

/** Unlabelled records from values: a text, or [text, pair] / { text, pair } for pairs. */
export function recordsFromValues(xs: SequenceInput[], pair: boolean, cols: Columns): RecordSource {
  const rows = xs.map((x, i) => {
    if (x === null || (typeof x !== 'string' && typeof x !== 'object')) throw new BertError(`expected a text (a string)${pair ? ', [text, pair] or { text, pair }' : ''}, not ${x === null ? 'null' : typeof x}`, { where: `input ${i}` });
    const [a, b] = typeof x === 'string' ? [x, undefined] : Array.isArray(x) ? x : [x.text, x.pair];
    if (typeof a !== 'string') throw new BertError('expected a text (a string)', { where: `input ${i}` });
    if (pair && typeof b !== 'string') throw new BertError('a pair model takes [text, pair] or { text, pair }', { where: `input ${i}` });
    // a second text given to a single-text model was dropped without a word
    if (!pair && b !== undefined) throw new BertError('this model reads one text per input, and this input has two', { where: `input ${i}`, hint: 'a sentence-pair model (fine-tuned with --task pair) takes [text, pair]' });
    return pair ? { [cols.text]: a, [cols.pair]: b } : { [cols.text]: a };
  });
  return { rows, lines: xs.map((_, i) => i), columns: [cols.text, cols.pair], file: 'input', skipped: [] };
}

/** A text, or a text pair. */
export type SequenceInput = string | [string, string] | { text: string; pair?: string };

/** The columns of a family's records: its defaults, then any the user named. */
export function columnsOf(pair: boolean, ctx: FamilyContext): Columns {
  const c = pair ? { text: 'text_a', pair: 'text_b', label: 'label' } : { text: 'text', pair: 'text_b', label: 'label' };
  for (const k of ['text', 'pair', 'label'] as const) if (ctx.columns?.[k]) c[k] = ctx.columns[k]!;
  return c;
}

/** A sequence-level family from its spec: reading, encoding, batching and inputs are the same for all four. */
export function sequenceFamily(spec: SequenceSpec): TaskFamily<Example, Float32Array, Dataset<Example>, SequenceInput> {
  const chunk = (src: RecordSource, ctx: FamilyContext, cols: Columns): Chunk<Example, Float32Array> => {
    const e = encodeExamples(src, ctx.tokenizer, spec, cols, null, ctx.maxLength);
    if (e.truncated) ctx.onTruncated?.(e.truncated);
    return { examples: e.examples, rows: (outs) => outs.map((l) => spec.row(l, ctx.labels ?? [], ctx.topK)) };
  };
  return {
    name: spec.task,
    arch: 'BertForSequenceClassification',
    unit: 'text',
    maxLength: DEFAULT_MAX_LENGTH,
    recognizes: spec.recognizes,
    metric: () => spec.metric,
    read(file, ctx, labels) {
      const cols = columnsOf(spec.pair, ctx);
      const src = readRecords(file, { skipBad: ctx.skipBad });
      // --skip-bad skips a row whose label cell is empty as it skips a malformed one (it stopped the run)
      if (ctx.skipBad && spec.problemType !== 'multi_label_classification') dropUnlabelled(src, cols.label); // (multilabel: an empty cell is no labels)
      const names = labels ?? spec.names(src, cols.label);
      const { examples, truncated } = encodeExamples(src, ctx.tokenizer, spec, cols, names, ctx.maxLength);
      return { file, examples, labels: names, skipped: src.skipped.map((x) => x.line), truncated, notes: [], counts: { truncated, skipped: src.skipped.length } };
    },
    config: (train) => labelConfig(spec.task, train.labels, spec.problemType),
    classes: (labels) => (spec.classes ? labels : undefined),
    length: (e) => e.ids.length,
    collate: (xs, padId, labelled) => ({ batch: padBatch(xs, padId), targets: labelled ? spec.targets(xs) : null }),
    outputs: (r, xs) => {
      const L = r.logits!.length / xs.length;
      return xs.map((_, j) => r.logits!.slice(j * L, (j + 1) * L));
    },
    score: spec.score,
    async *inputs(files, ctx) {
      const cols = columnsOf(spec.pair, ctx);
      // a chunk at a time from a stream: progress shows and memory stays flat on inputs of any size
      const stream = streamChunks(files, 4096, {
        extensions: RECORD_EXTENSIONS, onCut: ctx.onCut,
        file: (p) => streamRecords(p, { size: 4096, onCut: ctx.onCut }),
        lines: (lines) => recordsFromLines(lines, spec.pair, cols),
      });
      for await (const src of stream) yield chunk(src, ctx, cols);
    },
    values: (xs, ctx) => {
      const cols = columnsOf(spec.pair, ctx);
      return chunk(recordsFromValues(xs, spec.pair, cols), ctx, cols);
    },
  };
}

/** One class per example (classify, pair): names, targets, prediction rows with probabilities, accuracy. */
export const singleLabel = {
  problemType: 'single_label_classification' as const,
  metric: 'accuracy',
  classes: true,
  names(src: RecordSource, column: string, hint?: string): string[] {
    const set = new Set(src.rows.map((r, i) => classField(r[column], column, `${src.file}:${src.lines[i]}`, hint)));
    if (set.size < 2) throw new BertError(`the training data has ${set.size} label, a classifier needs at least 2`, { where: src.file });
    return [...set].sort();
  },
  label(v: unknown, ids: Map<string, number>, where: string, column: string): number {
    const name = classField(v, column, where);
    const k = ids.get(name);
    if (k === undefined) throw new BertError(`unknown label '${name}'`, { where, hint: `the model knows ${[...ids.keys()].join(', ')}` });
    return k;
  },
  targets: (xs: Example[]): Targets => ({ labels: Int32Array.from(xs, (x) => x.label as number) }),
  row(logits: Float32Array, labels: string[], topK?: number): Record<string, unknown> {
    const probs = softmax(logits);
    const best = argmax(probs);
    let order = labels.map((_, k) => k).sort((a, b) => probs[b] - probs[a]);
    if (topK) order = order.slice(0, topK);
    return { label: labels[best], score: probs[best], scores: Object.fromEntries(order.map((k) => [labels[k], probs[k]])), logits: Array.from(logits) };
  },
  score(logits: Float32Array[], data: Dataset<Example>): Scored {
    const m = classificationMetrics(data.examples.map((x) => x.label as number), logits.map((l) => argmax(l)), data.labels);
    return { score: m.accuracy, metrics: { ...m } };
  },
};
