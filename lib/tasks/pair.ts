// pair: two texts, one class — [CLS] A [SEP] B [SEP] with segment ids 0 then 1 (MRPC, NLI, next
// sentence), a softmax over the labels on the pooled [CLS], scored by accuracy.
import { sequenceFamily, singleLabel } from './sequence.js';

export const pair = sequenceFamily({
  ...singleLabel,
  task: 'pair',
  pair: true,
  // config.json cannot tell a pair classifier from a single-text one: bert_cli_task says it
  recognizes: () => false,
});
