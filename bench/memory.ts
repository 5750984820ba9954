// Fine-tuning memory: BERT-base sequence classification at batch 8 × 128 tokens (dropout on,
// AdamW), RSS sampled over the steps, beside what the parameters, gradients, Adam moments and
// activations need by count. RSS must stay flat (no growth per step) and within 1.2× of the count.
// It runs in a child process: in the bench's own, RSS would carry whatever earlier sections left.
import { presetConfig, validateConfig } from '../lib/config.js';
import { BertForTask } from '../lib/model/bert.js';
import { AdamW } from '../lib/train/optimizer.js';
import { memoryNeed } from '../lib/model/memory.js';
import type { Row } from './table.js';
import { runChild } from './timing.js';

export function benchMemory(opts: { quick: boolean }): { rows: Row[]; raw: unknown } {
  return runChild(import.meta.url, [opts.quick ? 'quick' : 'full']);
}

if (process.argv[2] === '--child') process.stdout.write(JSON.stringify(measure({ quick: process.argv[3] === 'quick' })) + '\n');

function measure(opts: { quick: boolean }): { rows: Row[]; raw: unknown } {
  const steps = opts.quick ? 8 : 50;
  const cfg = validateConfig({ ...presetConfig('base', 30522), id2label: { 0: 'a', 1: 'b' }, label2id: { a: 0, b: 1 } });
  const B = 8, T = 128, R = B * T;
  const m = new BertForTask(cfg, 'BertForSequenceClassification');
  m.initialize(1);
  const opt = new AdamW(m.store, { lr: 2e-5, maxGradNorm: 1 });
  const batch = {
    B, T,
    inputIds: Int32Array.from({ length: R }, (_, i) => 1000 + ((i * 7919) % 29000)),
    typeIds: new Int32Array(R),
    attentionMask: new Int32Array(R).fill(1),
  };
  const labels = Int32Array.from({ length: B }, (_, i) => i % 2);
  const rss: number[] = [];
  const t0 = process.hrtime.bigint();
  let tWarm = t0;
  for (let s = 0; s < steps; s++) {
    m.store.zeroGrad();
    m.step(batch, { labels }, { training: true, backward: true, seed: BigInt(s) });
    opt.step(2e-5);
    if (s === 0) tWarm = process.hrtime.bigint();
    rss.push(process.memoryUsage().rss / 2 ** 20);
  }
  const perStep = Number(process.hrtime.bigint() - tWarm) / 1e9 / Math.max(1, steps - 1);
  // by count (lib/model/memory.ts, which training uses to refuse a batch that cannot fit): 4 arenas
  // (params, grads, m, v) + the decay mask, and the activations kept for backward
  const P = m.store.size;
  const countMiB = memoryNeed(cfg, B, T, { training: true }).total / 2 ** 20;
  const after1 = rss[0], last = rss[rss.length - 1], peak = Math.max(...rss);
  const rows: Row[] = [{
    job: `fine-tune base, ${B}×${T}, ${steps} steps`,
    's/step': perStep,
    'tokens/s': R / perStep,
    'RSS after step 1 MiB': after1,
    'RSS last MiB': last,
    'growth MiB': last - after1,
    'by count MiB': countMiB,
    'peak ÷ count (target ≤ 1.2)': peak / countMiB,
  }];
  return { rows, raw: { steps, rss, perStep, countMiB, parameters: P } };
}
