// How often a pretraining run commits a checkpoint: every --save-every steps, and once at the end
// unless the last step was just saved — a redundant final save could only fail (a disk that filled
// meanwhile) and turn a complete run into an error. Commits are counted by wrapping commitFiles.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import * as atomic from '../../lib/io/atomic.js';
import { pretrainLoop as pretrain } from '../../lib/train/pretrain.js';
import { DEFAULT_PRETRAINING } from '../../lib/train/pretraining-data.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';

vi.mock('../../lib/io/atomic.js', async (original) => {
  const m = await original<typeof import('../../lib/io/atomic.js')>();
  return { ...m, commitFiles: vi.fn(m.commitFiles) };
});

describe('checkpoint saves', () => {
  const words = ['the', 'war', 'peace', 'law', 'tax', 'is', 'here', '.'];
  const tokenizer = new Tokenizer(new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words]));
  const dir = mkdtempSync(join(tmpdir(), 'bert-saves-'));
  const corpus = join(dir, 'c.txt');
  writeFileSync(corpus, Array.from({ length: 40 }, (_, i) => `${words[i % 8]} ${words[(i * 3) % 8]} ${words[(i * 5) % 8]}` + (i % 5 === 4 ? '\n' : '')).join('\n') + '\n');
  const config = validateConfig({ ...presetConfig('tiny', tokenizer.vocab.size), hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, num_hidden_layers: 1, max_position_embeddings: 32 });
  const run = async (steps: number, saveEvery: number) => {
    const out = join(dir, `run-${steps}-${saveEvery}`);
    const commits = vi.mocked(atomic.commitFiles);
    commits.mockClear();
    await pretrain({ files: [corpus], out, config, tokenizer, steps, batchSize: 2, lr: 1e-3, warmup: 1, seed: 1, saveEvery, data: { ...DEFAULT_PRETRAINING, maxLength: 16, maxPredictions: 4 } });
    // saveModelDir commits the model and the training state together: one call per checkpoint
    return commits.mock.calls.filter(([d]) => d === out).length;
  };

  it('every --save-every steps, and at the end only when the last step was not just saved', async () => {
    expect(await run(4, 2)).toBe(2); // steps 2 and 4 — no third, redundant save at the end
    expect(await run(5, 2)).toBe(3); // steps 2, 4, and the end (5)
  });
});
