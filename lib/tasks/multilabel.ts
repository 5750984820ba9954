// multilabel: a text and any number of labels — one sigmoid per label on the pooled [CLS], binary
// cross-entropy (HF's problem_type "multi_label_classification"), a label chosen at p ≥ 0.5, scored
// by micro F1. A record's labels are a JSON list, or names separated by , | or ;.
import { BertError } from '../errors.js';
import { multilabelMetrics } from './metrics.js';
import { requireLabel, sequenceFamily } from './sequence.js';

/** Splits a multilabel field: a JSON array, or names separated by , | or ; */
export function splitLabels(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  const text = String(v ?? '').trim();
  // a cell holding a JSON array (what pandas writes for a list column): its elements, not its pieces
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const a = JSON.parse(text);
      if (Array.isArray(a)) return a.map(String);
    } catch {
      // not JSON: split as text
    }
  }
  return text.split(/[,|;]/).map((s) => s.trim()).filter(Boolean);
}

export const multilabel = sequenceFamily({
  task: 'multilabel',
  pair: false,
  metric: 'micro F1',
  problemType: 'multi_label_classification',
  classes: false,
  recognizes: (cfg) => cfg.problem_type === 'multi_label_classification',
  names(src, column) {
    const set = new Set<string>();
    src.rows.forEach((r, i) => {
      const v = r[column];
      if (v === undefined || v === null) requireLabel(v, column, `${src.file}:${src.lines[i]}`); // an empty cell: no labels
      for (const l of splitLabels(v)) set.add(l);
    });
    return [...set].sort();
  },
  label(v, ids, where, column) {
    // an empty cell, or an empty list, is an example with none of the labels (as HF's multi-hot zeros)
    if (v === undefined || v === null) requireLabel(v, column, where);
    const vec = new Float32Array(ids.size);
    for (const l of splitLabels(v)) {
      const k = ids.get(l);
      if (k === undefined) throw new BertError(`unknown label '${l}'`, { where, hint: `the model knows ${[...ids.keys()].join(', ')}` });
      vec[k] = 1;
    }
    return vec;
  },
  targets(xs) {
    const n = (xs[0]?.label as Float32Array | undefined)?.length ?? 0;
    const f = new Float32Array(xs.length * n);
    xs.forEach((x, i) => f.set(x.label as Float32Array, i * n));
    return { floatLabels: f };
  },
  row(logits, labels) {
    const scores: Record<string, number> = {};
    const chosen: string[] = [];
    labels.forEach((l, k) => {
      const p = 1 / (1 + Math.exp(-logits[k]));
      scores[l] = p;
      if (p >= 0.5) chosen.push(l);
    });
    return { labels: chosen, scores };
  },
  score(logits, data) {
    const m = multilabelMetrics(data.examples.map((x) => Array.from(x.label as Float32Array)), logits.map((l) => Array.from(l, (v) => (v >= 0 ? 1 : 0))), data.labels);
    return { score: m.micro_f1, metrics: { ...m, count: data.examples.length } };
  },
});
