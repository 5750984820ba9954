// Multiple choice (SWAG): a context and several endings, one of them right. As HF's run_swag, each
// candidate is the pair (sent1, sent2 + " " + ending_i); the model scores every pair and the
// softmax runs over an example's candidates. Records come from TSV/CSV/JSON Lines with columns
// sent1, sent2 (optional), ending0 … endingN−1 and label (the right ending's index).
import { DEFAULT_MAX_LENGTH } from '../defaults.js';
import { BertError } from '../errors.js';
import type { Batch } from '../model/encoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { padBatch, softmax, argmax } from './batching.js';
import type { Chunk, Dataset, FamilyContext, TaskFamily } from './family.js';
import { readRecords, streamRecords, type RecordSource } from './records.js';
import { labelConfig } from './sequence.js';

export interface ChoiceExample {
  /** one encoded pair per candidate */
  ids: Int32Array[];
  typeIds: Int32Array[];
  label: number | null;
  index: number;
}

export function endingColumns(src: RecordSource): string[] {
  const cols = src.columns.filter((c) => /^ending\d+$/.test(c)).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  if (cols.length < 2) throw new BertError('expected at least two ending columns (ending0, ending1, …)', { where: src.file, hint: `columns are ${src.columns.join(', ')}` });
  return cols;
}

export function encodeChoices(src: RecordSource, tok: Tokenizer, maxLength: number, labelled: boolean, labelColumn = 'label'): { examples: ChoiceExample[]; truncated: number; choices: number } {
  const endings = endingColumns(src);
  let truncated = 0;
  const examples = src.rows.map((row, i) => {
    const where = `${src.file}:${src.lines[i]}`;
    if (row.sent1 === undefined || row.sent1 === null) throw new BertError("no 'sent1' field", { where });
    const context = String(row.sent1), start = row.sent2 ? String(row.sent2) : '';
    const ids: Int32Array[] = [], typeIds: Int32Array[] = [];
    for (const c of endings) {
      const second = `${start} ${String(row[c] ?? '')}`.trim();
      const full = tok.encode(context, second);
      const enc = full.ids.length > maxLength ? tok.encode(context, second, { maxLength }) : full;
      if (enc !== full) truncated++;
      ids.push(Int32Array.from(enc.ids));
      typeIds.push(Int32Array.from(enc.typeIds));
    }
    let label: number | null = null;
    if (labelled) {
      const v = Number(row[labelColumn]);
      if (!Number.isInteger(v) || v < 0 || v >= endings.length) throw new BertError(`label '${row[labelColumn]}' is not an ending index 0–${endings.length - 1}`, { where });
      label = v;
    }
    return { ids, typeIds, label, index: i };
  });
  return { examples, truncated, choices: endings.length };
}

/** The candidates of every example as rows of one batch ([examples × choices] rows), padded to the longest. */
export function collateChoices(xs: ChoiceExample[], padId: number): Batch {
  return padBatch(xs.flatMap((x) => x.ids.map((ids, k) => ({ ids, typeIds: x.typeIds[k] }))), padId);
}

/** A multiple-choice question: its context, the start of the ending (optional) and the candidate endings. */
export interface ChoiceInput {
  sent1: string;
  sent2?: string;
  endings: string[];
}

/** choice: a score per candidate from its pooled [CLS], a softmax over an example's candidates (HF's BertForMultipleChoice). */
export const choice: TaskFamily<ChoiceExample, Float32Array, Dataset<ChoiceExample>, ChoiceInput> = {
  name: 'choice',
  arch: 'BertForMultipleChoice',
  unit: 'question',
  maxLength: DEFAULT_MAX_LENGTH,
  recognizes: (cfg) => cfg.architectures?.[0] === 'BertForMultipleChoice',
  metric: () => 'accuracy',
  read(file, ctx, labels) {
    const src = readRecords(file, { skipBad: ctx.skipBad });
    const { examples, truncated, choices } = encodeChoices(src, ctx.tokenizer, ctx.maxLength, true, ctx.columns?.label ?? 'label');
    return { file, examples, labels: labels ?? Array.from({ length: choices }, (_, i) => `ending${i}`), skipped: src.skipped.map((x) => x.line), truncated, notes: [], counts: { truncated, skipped: src.skipped.length } };
  },
  config: (train) => labelConfig('choice', train.labels),
  classes: () => undefined,
  // the longest candidate: every candidate row of a batch is padded to the longest of all
  length: (e) => Math.max(...e.ids.map((x) => x.length)),
  collate: (xs, padId, labelled) => ({ batch: collateChoices(xs, padId), targets: labelled ? { labels: Int32Array.from(xs, (x) => x.label ?? 0) } : null }),
  outputs(r, xs) {
    let row = 0;
    return xs.map((x) => {
      const p = softmax(r.logits!.subarray(row, row + x.ids.length));
      row += x.ids.length;
      return p;
    });
  },
  score(probs, data) {
    const right = probs.filter((p, i) => argmax(p) === data.examples[i].label).length;
    const accuracy = right / Math.max(1, probs.length);
    return { score: accuracy, metrics: { accuracy, count: probs.length } };
  },
  async *inputs(files, ctx) {
    if (!files.length) throw new BertError('multiple-choice input is a .tsv/.csv/.jsonl file with sent1, sent2, ending0…', { where: 'FILE' });
    for (const f of files) for await (const src of streamRecords(f, { size: 4096 })) yield choiceChunk(src, ctx);
  },
  values: (xs, ctx) => choiceChunk({
    rows: xs.map((x) => ({ sent1: x.sent1, sent2: x.sent2 ?? '', ...Object.fromEntries(x.endings.map((e, k) => [`ending${k}`, e])) })),
    lines: xs.map((_, i) => i), columns: ['sent1', 'sent2', ...(xs[0]?.endings ?? []).map((_, k) => `ending${k}`)], file: 'input', skipped: [],
  }, ctx),
};

function choiceChunk(src: RecordSource, ctx: FamilyContext): Chunk<ChoiceExample, Float32Array> {
  return {
    examples: encodeChoices(src, ctx.tokenizer, ctx.maxLength, false).examples,
    rows: (probs) => probs.map((p) => ({ choice: argmax(p), scores: Array.from(p) })),
  };
}
