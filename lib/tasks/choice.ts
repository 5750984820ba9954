// Multiple choice (SWAG): a context and several endings, one of them right. As HF's run_swag, each
// candidate is the pair (sent1, sent2 + " " + ending_i); the model scores every pair and the
// softmax runs over an example's candidates. Records come from TSV/CSV/JSON Lines with columns
// sent1, sent2 (optional), ending0 … endingN−1 and label (the right ending's index).
import { BertError } from '../errors.js';
import type { Batch } from '../model/encoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { RecordSource } from './records.js';
import { collateExamples } from './sequence.js';

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
  return collateExamples(xs.flatMap((x) => x.ids.map((ids, k) => ({ ids, typeIds: x.typeIds[k], label: null, index: x.index }))), padId);
}
