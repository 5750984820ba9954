// regression: a text (or pair) and a number — one output on the pooled [CLS], mean squared error
// (HF's problem_type "regression", STS-B), scored by Pearson's r.
import { BertError } from '../errors.js';
import { pearson, spearman } from './metrics.js';
import { sequenceFamily } from './sequence.js';

export const regression = sequenceFamily({
  task: 'regression',
  pair: false,
  metric: 'pearson',
  problemType: 'regression',
  classes: false,
  recognizes: (cfg) => cfg.problem_type === 'regression',
  names: () => ['score'],
  label(v, _ids, where, column) {
    if (v === undefined || v === null || v === '') throw new BertError(`no '${column}' field`, { where, hint: '--label-column names it' });
    const x = Number(v);
    if (!Number.isFinite(x)) throw new BertError(`label '${v}' is not a number`, { where });
    return x;
  },
  targets: (xs) => ({ floatLabels: Float32Array.from(xs, (x) => x.label as number) }),
  row: (logits) => ({ score: logits[0] }),
  score(logits, data) {
    const gold = data.examples.map((x) => x.label as number), pred = logits.map((l) => l[0]);
    const p = pearson(pred, gold);
    return { score: p, metrics: { pearson: p, spearman: spearman(pred, gold), mse: pred.reduce((s, v, i) => s + (v - gold[i]) ** 2, 0) / gold.length, count: gold.length } };
  },
});
