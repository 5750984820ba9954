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
  /** rows gold, columns predicted; left out past MAX_CONFUSION_CLASSES classes */
  confusion?: number[][];
  count: number;
}

const div = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Classes past which eval leaves out the K×K confusion matrix (20,000 labels: 3.4 GB for two rows). */
export const MAX_CONFUSION_CLASSES = 1000;

export function classificationMetrics(gold: number[], pred: number[], labels: string[]): ClassificationMetrics {
  const K = labels.length, n = gold.length;
  // counts per class in O(K + n) (the matrix itself only where it is small enough to print)
  const tp = new Float64Array(K), goldCount = new Float64Array(K), predCount = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    goldCount[gold[i]]++;
    predCount[pred[i]]++;
    if (gold[i] === pred[i]) tp[gold[i]]++;
  }
  let correct = 0, f1Sum = 0;
  const per: Record<string, ClassMetrics> = {};
  for (let k = 0; k < K; k++) {
    const fp = predCount[k] - tp[k], fn = goldCount[k] - tp[k];
    correct += tp[k];
    const p = div(tp[k], tp[k] + fp), r = div(tp[k], tp[k] + fn);
    const f1 = div(2 * p * r, p + r);
    per[labels[k]] = { precision: p, recall: r, f1, support: tp[k] + fn };
    f1Sum += f1;
  }
  // multiclass MCC: (c·s − Σ p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²))
  let pt = 0, pp = 0, tt = 0;
  for (let k = 0; k < K; k++) {
    pt += predCount[k] * goldCount[k];
    pp += predCount[k] * predCount[k];
    tt += goldCount[k] * goldCount[k];
  }
  const num = correct * n - pt;
  const den = Math.sqrt((n * n - pp) * (n * n - tt));
  let confusion: number[][] | undefined;
  if (K <= MAX_CONFUSION_CLASSES) {
    confusion = Array.from({ length: K }, () => new Array(K).fill(0));
    for (let i = 0; i < n; i++) confusion[gold[i]][pred[i]]++;
  }
  return {
    accuracy: div(correct, n),
    macro_f1: div(f1Sum, K),
    micro_f1: div(correct, n), // single-label: micro P = micro R = accuracy
    mcc: den === 0 ? 0 : num / den,
    per_class: per,
    ...(confusion ? { confusion } : {}),
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
