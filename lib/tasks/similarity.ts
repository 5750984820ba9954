// similarity: two texts and a number — how alike they are (STS-B's 0–5), one output on the pooled
// [CLS] of [CLS] A [SEP] B [SEP], mean squared error, scored by Pearson's r as GLUE scores STS-B
// (HF's run_glue: problem_type "regression" with a second text column).
import { scoreSpec } from './regression.js';
import { sequenceFamily } from './sequence.js';

export const similarity = sequenceFamily({
  ...scoreSpec,
  task: 'similarity',
  pair: true,
  // config.json cannot tell it from one-text regression: bert_cli_task says it
  recognizes: () => false,
});
