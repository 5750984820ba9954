// Evaluation metrics as a table for a terminal (`bert-cli eval` when stdout is one; JSON otherwise):
// names as a person reads them (macro F1, not macro_f1), per-class rows, and the confusion matrix
// with its labels — gold classes down, predicted classes across.

const NAMES: Record<string, string> = {
  task: 'task', loss: 'loss', accuracy: 'accuracy', macro_f1: 'macro F1', micro_f1: 'micro F1', weighted_f1: 'weighted F1',
  mcc: 'MCC', mse: 'MSE', mae: 'MAE', pearson: 'Pearson', spearman: 'Spearman', subset_accuracy: 'subset accuracy',
  per_class: 'per class', per_label: 'per label', per_type: 'per entity type', exact: 'exact match (EM)', f1: 'F1',
  precision: 'precision', recall: 'recall', support: 'support', confusion: 'confusion', truncated: 'examples truncated',
  skipped: 'rows skipped', words_cut: 'words cut', token_accuracy: 'token accuracy',
};

/** A metric's key as a person reads it: the table's name, else its words (has_ans_f1 → has ans F1). */
export function metricName(key: string): string {
  return NAMES[key] ?? key.replace(/_/g, ' ').replace(/\bf1\b/g, 'F1').replace(/\bem\b/g, 'EM').replace(/\bmcc\b/g, 'MCC');
}

export function metricsTable(r: Record<string, unknown>, labels?: string[]): string {
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : typeof v === 'string' ? v : JSON.stringify(v));
  const lines: string[] = [];
  const tables: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined) continue;
    const name = metricName(k);
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const rows = Object.entries(v as Record<string, Record<string, unknown>>);
      const cols = [...new Set(rows.flatMap(([, x]) => Object.keys(x)))];
      const width = Math.max(name.length, ...rows.map(([row]) => row.length));
      tables.push('', [name.padEnd(width), ...cols.map((c) => metricName(c).padStart(10))].join(' '),
        ...rows.map(([row, x]) => [row.padEnd(width), ...cols.map((c) => fmt(x[c]).padStart(10))].join(' ')));
    } else if (Array.isArray(v) && v.every(Array.isArray)) {
      const m = v as unknown[][];
      // the confusion matrix: rows are the gold classes, columns the predicted ones, both named
      const names = labels && labels.length === m.length ? labels : m.map((_, i) => String(i));
      const width = Math.max(6, ...names.map((n) => n.length));
      tables.push('', `${name} (rows: gold, columns: predicted)`, ['', ...names].map((n, i) => (i === 0 ? ''.padEnd(width + 2) : n.padStart(width))).join(' '),
        ...m.map((row, i) => ['  ' + names[i].padEnd(width), ...row.map((x) => fmt(x).padStart(width))].join(' ')));
    } else {
      lines.push(`${name.padEnd(22)} ${fmt(v)}`);
    }
  }
  return [...lines, ...tables].join('\n');
}
