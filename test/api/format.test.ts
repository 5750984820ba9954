// `bert-cli eval` at a terminal: metric names as a person reads them, and the confusion matrix with
// its class names on both axes (gold down, predicted across).
import { describe, expect, it } from 'vitest';
import { metricName, metricsTable } from '../../bin/format.js';

describe('the metrics table', () => {
  it('names metrics in words and labels the confusion matrix', () => {
    const t = metricsTable({
      task: 'classify', loss: 0.1234567, accuracy: 0.985, macro_f1: 0.98,
      per_class: { ham: { precision: 0.99, recall: 0.99, f1: 0.99, support: 874 }, spam: { precision: 0.97, recall: 0.98, f1: 0.975, support: 405 } },
      confusion: [[866, 8], [9, 396]], truncated: 3,
    }, ['ham', 'spam']);
    expect(t).toContain('macro F1');
    expect(t).not.toMatch(/macro_f1|per_class/);
    expect(t).toMatch(/^per class +precision +recall +F1 +support$/m);
    expect(t).toMatch(/^confusion \(rows: gold, columns: predicted\)\n +ham +spam\n +ham +866 +8\n +spam +9 +396$/m);
    expect(metricName('has_ans_f1')).toBe('has ans F1');
  });
});
