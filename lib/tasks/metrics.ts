// Evaluation metrics, with the definitions scikit-learn and scipy use: accuracy, per-class
// precision/recall/F1, macro and micro F1, Matthews correlation (multiclass form), Pearson and
// Spearman (average ranks for ties).

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  macro_f1: number;
  micro_f1: number;
  mcc: number;
  per_class: Record<string, ClassMetrics>;
  confusion: number[][];
  count: number;
}

const div = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function classificationMetrics(gold: number[], pred: number[], labels: string[]): ClassificationMetrics {
  const K = labels.length;
  const confusion = Array.from({ length: K }, () => new Array(K).fill(0));
  for (let i = 0; i < gold.length; i++) confusion[gold[i]][pred[i]]++;
  const n = gold.length;
  let correct = 0;
  const per: Record<string, ClassMetrics> = {};
  let f1Sum = 0;
  for (let k = 0; k < K; k++) {
    const tp = confusion[k][k];
    let fp = 0, fn = 0;
    for (let j = 0; j < K; j++) if (j !== k) { fp += confusion[j][k]; fn += confusion[k][j]; }
    correct += tp;
    const p = div(tp, tp + fp), r = div(tp, tp + fn);
    const f1 = div(2 * p * r, p + r);
    per[labels[k]] = { precision: p, recall: r, f1, support: tp + fn };
    f1Sum += f1;
  }
  // multiclass MCC: (c·s − Σ p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²))
  const t = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const p = confusion[0] ? confusion[0].map((_, k) => confusion.reduce((a, row) => a + row[k], 0)) : [];
  const num = correct * n - t.reduce((a, tk, k) => a + tk * p[k], 0);
  const den = Math.sqrt((n * n - p.reduce((a, x) => a + x * x, 0)) * (n * n - t.reduce((a, x) => a + x * x, 0)));
  return {
    accuracy: div(correct, n),
    macro_f1: div(f1Sum, K),
    micro_f1: div(correct, n), // single-label: micro P = micro R = accuracy
    mcc: den === 0 ? 0 : num / den,
    per_class: per,
    confusion,
    count: n,
  };
}

export function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

function ranks(x: number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export function spearman(x: number[], y: number[]): number {
  return pearson(ranks(x), ranks(y));
}

export interface MultilabelMetrics {
  micro_f1: number;
  macro_f1: number;
  subset_accuracy: number;
  per_class: Record<string, ClassMetrics>;
}

/** gold and pred as 0/1 rows of length labels.length. */
export function multilabelMetrics(gold: number[][], pred: number[][], labels: string[]): MultilabelMetrics {
  let TP = 0, FP = 0, FN = 0, exact = 0, f1Sum = 0;
  const per: Record<string, ClassMetrics> = {};
  labels.forEach((name, k) => {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < gold.length; i++) {
      if (pred[i][k] && gold[i][k]) tp++;
      else if (pred[i][k]) fp++;
      else if (gold[i][k]) fn++;
    }
    TP += tp; FP += fp; FN += fn;
    const p = div(tp, tp + fp), r = div(tp, tp + fn), f1 = div(2 * p * r, p + r);
    per[name] = { precision: p, recall: r, f1, support: tp + fn };
    f1Sum += f1;
  });
  for (let i = 0; i < gold.length; i++) if (gold[i].every((g, k) => g === pred[i][k])) exact++;
  const p = div(TP, TP + FP), r = div(TP, TP + FN);
  return { micro_f1: div(2 * p * r, p + r), macro_f1: div(f1Sum, labels.length), subset_accuracy: div(exact, gold.length), per_class: per };
}
