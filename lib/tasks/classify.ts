// classify: one text, one class — a softmax over the labels on the pooled [CLS] (HF's
// BertForSequenceClassification, single_label_classification), scored by accuracy.
import { sequenceFamily, singleLabel } from './sequence.js';

export const classify = sequenceFamily({
  ...singleLabel,
  task: 'classify',
  pair: false,
  // the fallback of registry.ts: a sequence classifier without a problem_type is single-label
  recognizes: (cfg) => cfg.architectures?.[0] === 'BertForSequenceClassification' && (cfg.problem_type ?? 'single_label_classification') === 'single_label_classification',
  names: (src, column) => singleLabel.names(src, column, 'a list of labels is --task multilabel'),
});
