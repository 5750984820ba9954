// regression: a text and a number — one output on the pooled [CLS], mean squared error (HF's
// problem_type "regression"), scored by Pearson's r. (Two texts and a number is similarity.ts.)
import { decimal } from '../validate.js';
import { BertError } from '../errors.js';
import { pearson, spearman } from './metrics.js';
import type { Dataset } from './family.js';
import { requireLabel, sequenceFamily, type Example, type SequenceSpec } from './sequence.js';

/** A score per example: what regression and similarity share. */
export const scoreSpec: Omit<SequenceSpec, 'task' | 'pair' | 'recognizes'> = {
  metric: 'pearson',
  problemType: 'regression',
  classes: false,
  names: () => ['score'],
  label(v: unknown, _ids: Map<string, number>, where: string, column: string) {
    requireLabel(v, column, where);
    // a decimal number (JSON's numbers, or text like 3.5 or 1e-2); Number() would read 0x10 as 16
    const x = typeof v === 'number' ? v : decimal(String(v));
    if (!Number.isFinite(x)) throw new BertError(`label '${String(v).slice(0, 40)}' is not a decimal number`, { where });
    return x;
  },
  targets: (xs: Example[]) => ({ floatLabels: Float32Array.from(xs, (x) => x.label as number) }),
  row: (logits: Float32Array) => ({ score: logits[0] }),
  score(logits: Float32Array[], data: Dataset<Example>) {
    const gold = data.examples.map((x) => x.label as number), pred = logits.map((l) => l[0]);
    const p = pearson(pred, gold);
    return { score: p, metrics: { pearson: p, spearman: spearman(pred, gold), mse: pred.reduce((s, v, i) => s + (v - gold[i]) ** 2, 0) / gold.length, count: gold.length } };
  },
};

export const regression = sequenceFamily({ ...scoreSpec, task: 'regression', pair: false, recognizes: (cfg) => cfg.problem_type === 'regression' });
