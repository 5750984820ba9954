// The training core around AdamW: learning-rate schedules, clipping by global norm as torch's
// clip_grad_norm_, gradient accumulation, seeded data order, and BERT's initialisation.
import { describe, it, expect } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { BertForTask } from '../../lib/model/bert.js';
import { AdamW, constantSchedule, linearSchedule } from '../../lib/train/optimizer.js';
import { shuffledOrder } from '../../lib/rng.js';
import { expectClose } from '../helpers/compare.js';

const cfg = validateConfig({ ...presetConfig('tiny', 40), hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, id2label: { 0: 'a', 1: 'b' } });
const batch = (rows: number[][]) => ({
  B: rows.length, T: rows[0].length,
  inputIds: Int32Array.from(rows.flat()), typeIds: new Int32Array(rows.length * rows[0].length), attentionMask: new Int32Array(rows.length * rows[0].length).fill(1),
});

describe('training core', () => {
  it('linear warmup then linear decay; constant after warmup', () => {
    const lin = linearSchedule(1e-3, 10, 110);
    expect([lin(0), lin(5), lin(10), lin(60), lin(110), lin(200)]).toEqual([0, 5e-4, 1e-3, 5e-4, 0, 0]);
    const c = constantSchedule(2e-5, 4);
    expect([c(0), c(2), c(4), c(1000)]).toEqual([0, 1e-5, 2e-5, 2e-5]);
  });

  it('clips by global norm as clip_grad_norm_: g · max/(norm + 1e-6) when over max', () => {
    const m = new BertForTask(cfg, 'BertForSequenceClassification');
    m.initialize(1);
    m.store.grads.fill(0.5);
    const norm = Math.sqrt(m.store.size * 0.25);
    const clipped = new AdamW(m.store, { lr: 1, maxGradNorm: 1, weightDecay: 0 });
    const scaled = new AdamW(m.store, { lr: 1, weightDecay: 0 });
    const p0 = m.store.params.slice();
    expect(clipped.step(1e-3)).toBeCloseTo(norm, 3);
    const pClipped = m.store.params.slice();
    m.store.params.set(p0);
    m.store.grads.fill(0.5 / (norm + 1e-6)); // what clipping leaves
    scaled.step(1e-3);
    expectClose(pClipped, m.store.params, { atol: 1e-7 });
  });

  it('two half-batches with gradScale ½ accumulate the full batch\'s gradient', () => {
    const m = new BertForTask(cfg, 'BertForSequenceClassification');
    m.initialize(2);
    const rows = [[1, 5, 9, 3], [2, 6, 7, 3], [4, 8, 11, 3], [12, 13, 14, 3]];
    const labels = [0, 1, 1, 0];
    m.store.zeroGrad();
    m.step(batch(rows), { labels: Int32Array.from(labels) }, { training: true, backward: true });
    const full = m.store.grads.slice();
    m.store.zeroGrad();
    m.step(batch(rows.slice(0, 2)), { labels: Int32Array.from(labels.slice(0, 2)) }, { training: true, backward: true, gradScale: 0.5 });
    m.step(batch(rows.slice(2)), { labels: Int32Array.from(labels.slice(2)) }, { training: true, backward: true, gradScale: 0.5 });
    expectClose(m.store.grads, full, { atol: 1e-6, rtol: 1e-4 });
  });

  it('seeded data order: a permutation, the same for a seed and epoch, another for the next epoch', () => {
    const a = shuffledOrder(1000, 42, 0), b = shuffledOrder(1000, 42, 0), c = shuffledOrder(1000, 42, 1);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('initialises as BERT: N(0, 0.02) weights, zero biases, LayerNorm 1/0, padding row zero; by seed', () => {
    const m = new BertForTask(validateConfig({ ...presetConfig('mini', 3000) }), 'BertForPreTraining');
    m.initialize(5);
    const w = m.store.view('bert.encoder.layer.0.intermediate.dense.weight');
    let s = 0, s2 = 0;
    for (const v of w) { s += v; s2 += v * v; }
    expect(Math.abs(s / w.length)).toBeLessThan(1e-3);
    expect(Math.sqrt(s2 / w.length)).toBeCloseTo(0.02, 3);
    expect(m.store.view('bert.encoder.layer.0.intermediate.dense.bias').every((v) => v === 0)).toBe(true);
    expect(m.store.view('bert.embeddings.LayerNorm.weight').every((v) => v === 1)).toBe(true);
    expect(m.store.view('bert.embeddings.word_embeddings.weight').subarray(0, 256).every((v) => v === 0)).toBe(true);
    const again = new BertForTask(m.cfg, 'BertForPreTraining');
    again.initialize(5);
    expect(again.store.params).toEqual(m.store.params);
    expect(m.store.decayMask[m.store.offsets.get('bert.encoder.layer.0.intermediate.dense.weight')!]).toBe(1);
    expect(m.store.decayMask[m.store.offsets.get('bert.encoder.layer.0.intermediate.dense.bias')!]).toBe(0);
    expect(m.store.decayMask[m.store.offsets.get('bert.embeddings.LayerNorm.weight')!]).toBe(0);
  });
});
