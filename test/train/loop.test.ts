// The one training loop (lib/train/loop.ts) on its own: a step of two accumulated micro-batches of
// four gives the loss and the gradient of one batch of eight (dropout off), float32 sums aside; the
// source's position moves only for steps taken; a skipped (non-finite) step is not logged.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lib/config.js';
import { BertForTask } from '../../lib/model/bert.js';
import { padBatch } from '../../lib/tasks/batching.js';
import { SINGLE_PROCESS } from '../../lib/train/distributed.js';
import { trainingLoop, type Micro, type StepSource } from '../../lib/train/loop.js';
import type { AdamW } from '../../lib/train/optimizer.js';
import { TrainingRun } from '../../lib/train/run.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32 } from '../helpers/random.js';

const cfg = validateConfig({
  vocab_size: 60, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32,
  hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, id2label: { 0: 'a', 1: 'b', 2: 'c' }, label2id: { a: 0, b: 1, c: 2 },
});
const rand = mulberry32(7);
const examples = Array.from({ length: 8 }, (_, i) => {
  const n = 3 + Math.floor(rand() * 9);
  return { ids: Int32Array.from({ length: n }, () => 5 + Math.floor(rand() * 50)), typeIds: new Int32Array(n), label: i % 3 };
});
const micro = (xs: typeof examples): Micro => ({
  batch: padBatch(xs, 0), targets: { labels: Int32Array.from(xs, (x) => x.label) }, seed: 1n, counts: [xs.length],
});

/** Runs one step over `micros` and returns the loss and the gradient the optimizer was handed. */
async function oneStep(micros: Micro[], gradAccum: number) {
  const model = new BertForTask(cfg, 'BertForSequenceClassification');
  model.initialize(3);
  let grads: Float32Array | null = null;
  let loss = NaN, committed = 0;
  const opt = { step: () => { grads = Float32Array.from(model.store.grads); return 1; } } as unknown as AdamW;
  let given = false;
  const source: StepSource<null> = { next: async () => (given ? null : ((given = true), { micros, info: null, commit: () => committed++ })) };
  const run = new TrainingRun({ out: '/nonexistent', writer: false });
  const r = await trainingLoop({
    model, opt, run, comm: SINGLE_PROCESS, source, gradAccum, step: 0, save: () => {}, lr: () => 1e-3,
    shares: () => ({}), afterUpdate: (_k, l) => { loss = l; return false; },
  });
  return { loss, grads: grads!, step: r.step, committed };
}

describe('the training loop', () => {
  it('two accumulated micro-batches of 4 give the loss and gradient of one batch of 8', async () => {
    const whole = await oneStep([micro(examples)], 1);
    const halves = await oneStep([micro(examples.slice(0, 4)), micro(examples.slice(4))], 2);
    expect(whole.step).toBe(1);
    expect(whole.committed).toBe(1);
    expect(Math.abs(halves.loss - whole.loss)).toBeLessThan(1e-6);
    let scale = 0;
    for (const v of whole.grads) scale = Math.max(scale, Math.abs(v));
    expect(scale).toBeGreaterThan(0);
    expectClose(halves.grads, whole.grads, { atol: 1e-5 * scale }, 'accumulated gradient');
  });
});
