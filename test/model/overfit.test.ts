// Every head, trained from BERT's initialisation with AdamW on one small batch, drives its loss to
// near zero: the forward, the loss, the backward and the optimizer all point the same way.
import { describe, it, expect } from 'vitest';
import { presetConfig, validateConfig, type BertConfig } from '../../lib/config.js';
import { BertForTask, type Architecture, type Targets } from '../../lib/model/bert.js';
import type { Batch } from '../../lib/model/encoder.js';
import { AdamW } from '../../lib/train/optimizer.js';
import { mulberry32, randomInts } from '../helpers/random.js';

const B = 4, T = 8, V = 60;

function tinyConfig(extra: Partial<BertConfig> = {}): BertConfig {
  const base = presetConfig('tiny', V);
  return validateConfig({ ...base, hidden_size: 32, intermediate_size: 64, num_attention_heads: 4, max_position_embeddings: 16, ...extra });
}

function batch(rand: () => number): Batch {
  const inputIds = randomInts(B * T, V - 1, rand).map((x) => x + 1);
  const attentionMask = new Int32Array(B * T).fill(1);
  for (let t = 6; t < T; t++) { attentionMask[T + t] = 0; inputIds[T + t] = 0; } // one padded row
  const typeIds = new Int32Array(B * T);
  for (let t = 4; t < T; t++) typeIds[t] = 1;
  return { B, T, inputIds, typeIds, attentionMask };
}

function overfit(arch: Architecture, cfg: BertConfig, targets: Targets, b: Batch, steps = 150): [number, number] {
  const m = new BertForTask(cfg, arch);
  m.initialize(7);
  const opt = new AdamW(m.store, { lr: 2e-3, weightDecay: 0.01, maxGradNorm: 1.0 });
  let first = NaN, last = NaN;
  for (let s = 0; s < steps; s++) {
    m.store.zeroGrad();
    const r = m.step(b, targets, { training: true, backward: true, seed: BigInt(s) });
    if (s === 0) first = r.loss;
    last = r.loss;
    opt.step(2e-3);
  }
  return [first, last];
}

describe('every head overfits a small batch', () => {
  const rand = mulberry32(99);
  const b = batch(rand);

  it('pretraining (MLM + NSP), with dropout on', () => {
    const mlmLabels = new Int32Array(B * T).fill(-100);
    for (const i of [1, 5, 9, 17, 20, 26, 30]) mlmLabels[i] = 1 + Math.floor(rand() * (V - 1));
    const [first, last] = overfit('BertForPreTraining', tinyConfig(), { mlmLabels, nspLabels: Int32Array.from([0, 1, 1, 0]) }, b, 250);
    expect(first).toBeGreaterThan(3);
    expect(last).toBeLessThan(0.1);
  });

  it('masked LM alone', () => {
    const mlmLabels = new Int32Array(B * T).fill(-100);
    for (const i of [2, 11, 19, 28]) mlmLabels[i] = 3 + i;
    const [, last] = overfit('BertForMaskedLM', tinyConfig({ hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }), { mlmLabels }, b);
    expect(last).toBeLessThan(0.05);
  });

  it('sequence classification (cross-entropy)', () => {
    const cfg = tinyConfig({ id2label: { 0: 'a', 1: 'b', 2: 'c' }, label2id: { a: 0, b: 1, c: 2 } });
    const [, last] = overfit('BertForSequenceClassification', cfg, { labels: Int32Array.from([0, 2, 1, 2]) }, b);
    expect(last).toBeLessThan(0.05);
  });

  it('regression (MSE, num_labels = 1)', () => {
    const cfg = tinyConfig({ id2label: { 0: 'score' }, label2id: { score: 0 }, hidden_dropout_prob: 0 });
    const [, last] = overfit('BertForSequenceClassification', cfg, { floatLabels: Float32Array.from([0.5, -0.25, 1, 0]) }, b);
    expect(last).toBeLessThan(1e-3);
  });

  it('multi-label (BCE)', () => {
    const cfg = tinyConfig({ id2label: { 0: 'x', 1: 'y', 2: 'z' }, problem_type: 'multi_label_classification' });
    const floatLabels = Float32Array.from([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0]);
    const [, last] = overfit('BertForSequenceClassification', cfg, { floatLabels }, b);
    expect(last).toBeLessThan(0.05);
  });

  it('token classification (padding ignored)', () => {
    const cfg = tinyConfig({ id2label: { 0: 'O', 1: 'B', 2: 'I' } });
    const labels = randomInts(B * T, 3, rand);
    for (let t = 6; t < T; t++) labels[T + t] = -100;
    const [, last] = overfit('BertForTokenClassification', cfg, { labels }, b, 200);
    expect(last).toBeLessThan(0.05);
  });

  it('question answering (start and end)', () => {
    const [, last] = overfit('BertForQuestionAnswering', tinyConfig(), { startPositions: Int32Array.from([1, 2, 3, 4]), endPositions: Int32Array.from([2, 4, 3, 7]) }, b);
    expect(last).toBeLessThan(0.05);
  });

  it('multiple choice (2 examples × 2 choices)', () => {
    const [, last] = overfit('BertForMultipleChoice', tinyConfig(), { labels: Int32Array.from([1, 0]) }, b);
    expect(last).toBeLessThan(0.05);
  });
});
