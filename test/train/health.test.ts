// Training health through the CLI: a batch whose loss or gradient is not finite stops fine-tuning with the step
// named (nothing written over), or with --skip-nonfinite is skipped and counted while the rest trains
// and the weights stay finite. The trouble is made real: one word's embedding row is ±3e38 — finite,
// so the checkpoint loads (a NaN or Inf weight is refused at load), but past what float32 sums can
// hold — so exactly the batches that contain that word go NaN.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { loadModelDir, saveModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { runCli } from '../cli/helpers.js';

describe('non-finite steps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bert-cli-health-'));
  const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'good', 'bad', 'day', 'night', 'poison']);
  const cfg = validateConfig({ ...presetConfig('tiny', vocab.size), hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32 });
  const m = new BertForTask(cfg, 'BertForPreTraining');
  m.initialize(3);
  const H = cfg.hidden_size, poison = vocab.tokens.indexOf('poison');
  const row = m.store.view('bert.embeddings.word_embeddings.weight').subarray(poison * H, (poison + 1) * H);
  row.forEach((_, i) => (row[i] = i % 2 ? 3e38 : -3e38));
  const model = join(dir, 'model');
  saveModelDir(model, m, new Tokenizer(vocab));
  const rows = Array.from({ length: 40 }, (_, i) => [`${i % 2 ? 'good day' : 'bad night'}${[6, 17, 30].includes(i) ? ' poison' : ''}`, i % 2 ? 'pos' : 'neg']);
  const train = join(dir, 'train.tsv');
  writeFileSync(train, 'text\tlabel\n' + rows.map((r) => r.join('\t')).join('\n') + '\n');
  const args = (out: string) => ['finetune', '--model', model, '--task', 'classify', '--train', train, '--out', out, '--batch-size', '1', '--epochs', '2',
    '--no-shuffle', '--lr', '1e-3', '--quiet', '--json'];

  it('stops at the first poisoned batch, naming the step and the flag', () => {
    const out = join(dir, 'stopped');
    const r = runCli(args(out));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bert-cli: error: the (loss|gradient norm) is NaN at step 7; the last checkpoint is kept, .*stopped \(--skip-nonfinite skips such steps\)\n$/);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
  });

  it('--skip-nonfinite skips exactly those steps, counts them, and trains the rest', () => {
    const out = join(dir, 'skipped');
    const r = runCli([...args(out), '--skip-nonfinite']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.skippedSteps).toEqual([7, 18, 31, 47, 58, 71]); // rows 6, 17, 30 in each of 2 epochs of 40 steps
    const logged = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'skipped');
    expect(logged.map((x) => x.step)).toEqual(summary.skippedSteps);
    const trained = loadModelDir(out, { arch: 'BertForSequenceClassification' }).model.store.params;
    const word = trained.subarray(0, vocab.size * H);
    // every weight is finite, and the poisoned row got no gradient (no step that saw it was applied):
    // weight decay alone moved it, by a factor 1 − lr·λ a step
    let finite = true;
    trained.forEach((v, i) => { if (!(i >= poison * H && i < (poison + 1) * H) && !Number.isFinite(v)) finite = false; });
    expect(finite).toBe(true);
    expect(word[poison * H]).toBeLessThan(-2.99e38);
    expect(word[poison * H]).toBeGreaterThan(-3.0000001e38);
    const p = runCli(['predict', '--model', out, '--quiet'], { input: 'good day\nbad night\n' });
    expect(p.stdout.trim().split('\n').map((l) => JSON.parse(l).label)).toEqual(['pos', 'neg']);
  });
});
