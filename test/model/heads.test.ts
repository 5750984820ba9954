// Each head's own arithmetic beyond the PyTorch parity fixtures (which run with dropout off): in
// training, the sequence, token and multiple-choice classifiers read their input through dropout
// drawn with subSeed(stepSeed, SEED_STREAM.head), as HF's classifier dropout; QA's qa_outputs and
// NSP's seq_relationship have none; at inference no head drops anything. A float64 reference draws
// the masks itself. The head table: every HF architecture names a head (or none) and its encoder rows.
import { describe, expect, it } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { ARCHITECTURES, BertForTask, parameterSpecs, type Architecture } from '../../lib/model/bert.js';
import { ARCHITECTURE_TABLE } from '../../lib/model/heads/index.js';
import { SEED_STREAM, subSeed } from '../../lib/rng.js';
import { expectClose } from '../helpers/compare.js';
import { dropoutRef, gemmRef } from '../helpers/reference.js';

const P = 0.4;
const cfg = validateConfig({
  ...presetConfig('tiny', 30), hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: 1,
  max_position_embeddings: 8, hidden_dropout_prob: P, attention_probs_dropout_prob: 0, id2label: { 0: 'a', 1: 'b', 2: 'c' },
});
const batch = {
  B: 3, T: 4,
  inputIds: Int32Array.from([2, 7, 11, 3, 2, 9, 3, 0, 2, 5, 6, 3]),
  typeIds: new Int32Array(12),
  attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1]),
};

const cases: { arch: Architecture; weight: string; bias: string; input: 'pooled' | 'hidden'; dropout: boolean }[] = [
  { arch: 'BertForSequenceClassification', weight: 'classifier.weight', bias: 'classifier.bias', input: 'pooled', dropout: true },
  { arch: 'BertForTokenClassification', weight: 'classifier.weight', bias: 'classifier.bias', input: 'hidden', dropout: true },
  { arch: 'BertForMultipleChoice', weight: 'classifier.weight', bias: 'classifier.bias', input: 'pooled', dropout: true },
  { arch: 'BertForQuestionAnswering', weight: 'qa_outputs.weight', bias: 'qa_outputs.bias', input: 'hidden', dropout: false },
];

describe('heads', () => {
  it.each(cases)('$arch: the classifier input is dropped in training only (dropout: $dropout)', ({ arch, weight, bias, input, dropout }) => {
    const m = new BertForTask(cfg, arch);
    m.initialize(5);
    const seed = 1234n;
    for (const training of [true, false]) {
      const r = m.step(batch, null, { training, seed });
      const x = input === 'pooled' ? r.pooled! : r.hidden;
      const N = input === 'pooled' ? batch.B : batch.B * batch.T, out = m.store.spec(weight).shape[0];
      const xin = training && dropout ? dropoutRef(x, P, subSeed(seed, SEED_STREAM.head)) : Float64Array.from(x);
      const want = gemmRef(false, true, N, out, cfg.hidden_size, 1, xin, m.store.view(weight), 0, new Float64Array(N * out), m.store.view(bias));
      expectClose(r.logits!, want, { atol: 1e-5 }, `${arch} logits (training ${training})`);
    }
  });

  it("the pretraining head's NSP reads the pooled output without dropout", () => {
    const m = new BertForTask(cfg, 'BertForPreTraining');
    m.initialize(5);
    const r = m.step(batch, null, { training: true, seed: 99n });
    const want = gemmRef(false, true, batch.B, 2, cfg.hidden_size, 1, r.pooled!, m.store.view('cls.seq_relationship.weight'), 0, new Float64Array(batch.B * 2), m.store.view('cls.seq_relationship.bias'));
    expectClose(r.nspLogits!, want, { atol: 1e-5 }, 'NSP logits');
  });

  it('the table: every architecture has its row, the bare encoder no head, and HF names on every tensor', () => {
    expect(ARCHITECTURES).toEqual(Object.keys(ARCHITECTURE_TABLE));
    for (const arch of ARCHITECTURES) {
      const row = ARCHITECTURE_TABLE[arch], names = parameterSpecs(cfg, arch).map((s) => s.name);
      expect(row.head === null, arch).toBe(arch === 'BertModel');
      expect(names.some((n) => n.includes('pooler.')), arch).toBe(row.pooler);
      expect(names.every((n) => n.startsWith(row.prefix) || n.startsWith('cls.') || n.startsWith('classifier.') || n.startsWith('qa_outputs.')), arch).toBe(true);
    }
  });
});
