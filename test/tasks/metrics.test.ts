// Classification metrics from per-class counts: the same figures as the confusion matrix gives, and
// no K×K matrix for a model of 20,000 labels (it took 3.4 GB for two rows).
import { describe, expect, it } from 'vitest';
import { classificationMetrics, MAX_CONFUSION_CLASSES } from '../../lib/tasks/metrics.js';

describe('classification metrics', () => {
  it('accuracy, per-class F1 and MCC from counts; the matrix only while it is small', () => {
    const m = classificationMetrics([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ['a', 'b', 'c']);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.confusion).toEqual([[1, 1, 0], [0, 2, 0], [1, 0, 1]]);
    expect(m.per_class.b).toEqual({ precision: 2 / 3, recall: 1, f1: 0.8, support: 2 });
    // MCC from the matrix, written out: c = 4, s = 6, t = [2,2,2], p = [2,3,1]
    expect(m.mcc).toBeCloseTo((4 * 6 - (2 * 2 + 2 * 3 + 2 * 1)) / Math.sqrt((36 - (4 + 9 + 1)) * (36 - 12)), 12);
    const K = 20_000, labels = Array.from({ length: K }, (_, i) => `L${i}`);
    const big = classificationMetrics([3, 19_999], [3, 7], labels);
    expect(K).toBeGreaterThan(MAX_CONFUSION_CLASSES);
    expect(big.confusion).toBeUndefined();
    expect(big.accuracy).toBe(0.5);
    expect(big.per_class.L3.f1).toBe(1);
  });
});
