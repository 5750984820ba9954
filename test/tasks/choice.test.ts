// Multiple choice end to end (SWAG's columns): the right ending repeats the context's key word and the
// wrong ones come from other words, so the model can learn to pick it; through finetune → predict →
// eval, well above chance (25%). (Cross-segment matching itself is exercised by the pair test.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { saveModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { runCli } from '../cli/helpers.js';
import { mulberry32 } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-choice-'));
const KEYS = ['apple', 'river', 'stone', 'cloud', 'green', 'storm'], FILL = ['the', 'man', 'then', 'takes', 'a', 'walk'], OTHER = ['chair', 'train', 'spoon', 'glass'];
const rand = mulberry32(11);
const pick = (xs: string[]) => xs[Math.floor(rand() * xs.length)];
let model: string;

function rows(n: number): string {
  const out = ['sent1\tsent2\tending0\tending1\tending2\tending3\tlabel'];
  for (let i = 0; i < n; i++) {
    const key = pick(KEYS), label = Math.floor(rand() * 4);
    const endings = Array.from({ length: 4 }, (_, k) => (k === label ? `${pick(FILL)} ${key}` : `${pick(FILL)} ${pick(OTHER)}`));
    out.push([`${pick(FILL)} ${key} ${pick(FILL)}`, pick(FILL), ...endings, label].join('\t'));
  }
  return out.join('\n') + '\n';
}

beforeAll(() => {
  const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...KEYS, ...FILL, ...OTHER]);
  const cfg = validateConfig({ ...presetConfig('tiny', vocab.size), hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 });
  const m = new BertForTask(cfg, 'BertForPreTraining');
  m.initialize(5);
  model = join(dir, 'pretrained');
  saveModelDir(model, m, new Tokenizer(vocab));
});

describe('choice end to end', () => {
  it('learns to pick the ending, predicts {choice, scores}, evaluates accuracy', () => {
    const train = join(dir, 'train.tsv'), dev = join(dir, 'dev.tsv');
    writeFileSync(train, rows(500));
    writeFileSync(dev, rows(80));
    const out = join(dir, 'mc');
    const r = runCli(['finetune', '--model', model, '--task', 'choice', '--train', train, '--dev', dev, '--out', out, '--epochs', '20', '--lr', '3e-3', '--batch-size', '8', '--quiet', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.9); // chance is 0.25
    const p = runCli(['predict', '--model', out, dev, '--quiet']);
    expect(p.code).toBe(0);
    const first = JSON.parse(p.stdout.split('\n')[0]);
    expect(first.scores).toHaveLength(4);
    expect(first.scores.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    expect(first.choice).toBe(first.scores.indexOf(Math.max(...first.scores)));
    const e = runCli(['eval', '--model', out, dev]);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ task: 'choice', count: 80 });
    expect(JSON.parse(e.stdout).accuracy).toBeGreaterThan(0.9);
  });
});
