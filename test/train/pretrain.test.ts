// The pretraining loop: it learns (loss falls), checkpoints are model directories, and a run
// stopped at step k and resumed reaches step n with exactly the losses of a run that never stopped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { loadModelDir } from '../../lib/model-dir/model-dir.js';
import { native } from '../../lib/native.js';
import { pretrainingChecks, pretrainLoop as pretrain, type PretrainOptions } from '../../lib/train/pretrain.js';
import { DEFAULT_PRETRAINING } from '../../lib/train/pretraining-data.js';
import { tinyPretraining } from '../helpers/tiny-pretraining.js';

const { dir, corpus, tokenizer, config } = tinyPretraining('bert-cli-pretrain-');

function options(out: string, extra: Partial<PretrainOptions> = {}): PretrainOptions {
  return {
    files: [corpus], out, config, tokenizer, steps: 6, batchSize: 4, lr: 1e-3, warmup: 1, seed: 5,
    data: { ...DEFAULT_PRETRAINING, maxLength: 48, maxPredictions: 8 }, saveEvery: 100, shardTokens: 3000, ...extra,
  };
}

describe('pretraining', () => {
  // and in bf16 mixed precision, whose GEMMs are as deterministic as the fp32 ones
  for (const dtype of ['fp32', 'bf16'] as const) it(`a run stopped at step 3 and resumed gives the same losses, bit for bit, as one that never stopped (${dtype})`, async () => {
    const saved = native.numThreads();
    native.setNumThreads(1);
    try {
      const whole = await pretrain(options(join(dir, `whole-${dtype}`), { dtype }));
      expect(whole.losses).toHaveLength(6);
      let calls = 0;
      const first = await pretrain(options(join(dir, `split-${dtype}`), { dtype, shouldStop: () => ++calls >= 3 }));
      expect(first.stopped).toBe(true);
      expect(first.step).toBe(3);
      const second = await pretrain(options(join(dir, `split-${dtype}`), { dtype, resume: true }));
      expect(second.step).toBe(6);
      expect([...first.losses, ...second.losses]).toEqual(whole.losses);
      expect(loadModelDir(join(dir, `split-${dtype}`)).model.store.params).toEqual(loadModelDir(join(dir, `whole-${dtype}`)).model.store.params);
    } finally {
      native.setNumThreads(saved);
    }
  });

  it('the same seed gives the same losses on 1, 2 and 3 threads, bit for bit (every kernel sums in a fixed order)', async () => {
    const saved = native.numThreads();
    const runs: number[][] = [];
    try {
      for (const t of [1, 2, 3]) {
        native.setNumThreads(t);
        runs.push((await pretrain(options(join(dir, `threads-${t}`), { steps: 4 }))).losses);
      }
    } finally {
      native.setNumThreads(saved);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    expect(loadModelDir(join(dir, 'threads-3')).model.store.params).toEqual(loadModelDir(join(dir, 'threads-1')).model.store.params);
  });

  it('learns: the loss falls, and the output is a BertForPreTraining directory with metrics', async () => {
    const out = join(dir, 'learn');
    const r = await pretrain(options(out, { steps: 150, lr: 3e-3, evalFiles: [corpus], evalEvery: 150, evalBatches: 4 }));
    const early = r.losses.slice(0, 5).reduce((a, b) => a + b) / 5, late = r.losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(late).toBeLessThan(early - 0.5); // from ln(800) + ln 2 to the unigram plateau; the 20-minute run in README shows more
    const m = loadModelDir(out);
    expect(m.model.arch).toBe('BertForPreTraining');
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.filter((x) => x.type === 'train')).toHaveLength(150);
    expect(metrics.find((x) => x.type === 'eval')).toMatchObject({ step: 150 });
    expect(r.lastEval!.perplexity).toBeGreaterThan(1);
  });
});

describe('training health', () => {
  it('a non-finite loss stops the run, naming the step, and leaves the last checkpoint as it was', async () => {
    const out = join(dir, 'nan');
    await pretrain(options(out, { steps: 2 }));
    const before = readFileSync(join(out, 'model.safetensors'));
    // poison the saved model — finite weights, so it loads (a NaN weight is refused at load), but
    // large enough that the first step's activations overflow — then continue from it
    const { loadModelDir: load, saveModelDir: save } = await import('../../lib/model-dir/model-dir.js');
    const m = load(out);
    const w = m.model.store.view('bert.encoder.layer.0.intermediate.dense.weight');
    w.forEach((_, i) => (w[i] = i % 2 ? 3e38 : -3e38));
    const poisoned = join(dir, 'poisoned');
    save(poisoned, m.model, m.tokenizer);
    const out2 = join(dir, 'nan2');
    await expect(pretrain(options(out2, { init: poisoned, steps: 3 }))).rejects.toThrow(/the loss is NaN at step 1/);
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(before);
  });
});

describe("BERT's length schedule (--short-length)", () => {
  it('the first shortRatio of the steps are short, the rest full length; stopped and resumed across the switch, the losses are the same bit for bit', async () => {
    const saved = native.numThreads();
    native.setNumThreads(1);
    try {
      const o = (out: string, extra: Partial<PretrainOptions> = {}) => options(join(dir, out), { steps: 10, shortLength: 24, shortRatio: 0.6, ...extra });
      const lengths: number[] = [];
      const whole = await pretrain(o('short-whole', { onStep: (s) => lengths.push(s.seqLength) }));
      expect(lengths.slice(0, 6).every((t) => t <= 24)).toBe(true);
      expect(lengths.slice(6).every((t) => t > 24 && t <= 48)).toBe(true);
      let calls = 0;
      const first = await pretrain(o('short-split', { shouldStop: () => ++calls >= 4 }));
      const second = await pretrain(o('short-split', { resume: true, shouldStop: () => ++calls >= 8 }));
      const third = await pretrain(o('short-split', { resume: true }));
      expect([first.step, second.step, third.step]).toEqual([4, 8, 10]);
      expect([...first.losses, ...second.losses, ...third.losses]).toEqual(whole.losses);
    } finally {
      native.setNumThreads(saved);
    }
  });
});

describe('what a finished pretraining run flags', () => {
  const o = { data: { nsp: true } } as unknown as PretrainOptions;
  const e = (nsp: number, base: number) => ({ step: 1, mlmAccuracy: 0.2, mlmLoss: 5, perplexity: 150, nspAccuracy: nsp, instances: 64, mlmBaseline: 0.05, nspBaseline: base });
  it('NSP at the majority baseline, and a budget that fit under half the steps it planned', () => {
    expect(pretrainingChecks(o, e(0.62, 0.619), { done: 1481, plannedAtStart: 1481, stopped: false })).toEqual([expect.stringMatching(/NSP accuracy 62\.0% is at the majority baseline 61\.9%/)]);
    expect(pretrainingChecks(o, e(0.75, 0.6), { done: 266, plannedAtStart: 1481, stopped: false })).toEqual([expect.stringMatching(/fit 266 steps of the 1481 planned/)]);
    expect(pretrainingChecks(o, e(0.75, 0.6), { done: 1400, plannedAtStart: 1481, stopped: false })).toEqual([]);
    expect(pretrainingChecks(o, e(0.75, 0.6), { done: 266, plannedAtStart: 1481, stopped: true })).toEqual([]); // stopped: resumable, not short
    expect(pretrainingChecks({ data: { nsp: false } } as unknown as PretrainOptions, e(0.5, 0.6), { done: 10, plannedAtStart: null, stopped: false })).toEqual([]);
  });
});
