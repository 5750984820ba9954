// Fine-tuning end to end on small synthetic data that only the text can explain: each sequence task
// family learns well above chance, and finetune → predict → eval works through the CLI.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { saveModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { native } from '../../lib/native.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { runCli } from '../cli/helpers.js';
import { mulberry32 } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-ft-'));
const WORDS = ['apple', 'river', 'stone', 'cloud', 'green', 'quick', 'seven', 'table', 'light', 'sound', 'paper', 'storm'];
const rand = mulberry32(2024);
const pick = () => WORDS[Math.floor(rand() * WORDS.length)];
const sentence = (n: number, extra: string[] = []) => {
  const w = Array.from({ length: n }, pick);
  for (const e of extra) w.splice(Math.floor(rand() * (w.length + 1)), 0, e);
  return w.join(' ');
};
let pretrained: string;

function write(name: string, header: string[], rows: (string | number)[][]): string {
  const p = join(dir, name);
  writeFileSync(p, [header.join('\t'), ...rows.map((r) => r.join('\t'))].join('\n') + '\n');
  return p;
}

beforeAll(() => {
  // a small "pretrained" model: BERT's init over a vocabulary of the words above
  const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS, 'spam', 'ham', 'win', 'prize', 'meeting']);
  const cfg = validateConfig({ ...presetConfig('tiny', vocab.size), hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 });
  const m = new BertForTask(cfg, 'BertForPreTraining');
  m.initialize(1);
  pretrained = join(dir, 'pretrained');
  saveModelDir(pretrained, m, new Tokenizer(vocab));
});

const ft = (args: string[]) => runCli(['finetune', '--model', pretrained, '--quiet', '--json', '--lr', '3e-3', '--batch-size', '16', ...args]);

describe('fine-tuning end to end', () => {
  it('classify: finetune → predict → eval, well above chance', () => {
    const rows = (n: number) => Array.from({ length: n }, () => (rand() < 0.5 ? [sentence(5, ['win', 'prize']), 'spam'] : [sentence(5, ['meeting']), 'ham']));
    const train = write('cls-train.tsv', ['text', 'label'], rows(200)), test = write('cls-test.tsv', ['text', 'label'], rows(60));
    const out = join(dir, 'cls');
    const r = ft(['--task', 'classify', '--train', train, '--dev', test, '--out', out, '--epochs', '10']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.9);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.id2label).toEqual({ 0: 'ham', 1: 'spam' });
    expect(cfg.architectures).toEqual(['BertForSequenceClassification']);
    expect(cfg.bert_cli_max_length).toBe(64); // the default 128, shrunk to this model's 64 positions; predict and eval default to it
    const p = runCli(['predict', '--model', out, '--quiet'], { input: 'apple win prize stone\nmeeting river table\n' });
    expect(p.code).toBe(0);
    const preds = p.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(preds.map((x) => x.label)).toEqual(['spam', 'ham']);
    expect(Object.keys(preds[0])).toEqual(['label', 'score', 'scores', 'logits']);
    expect(preds[0].scores.spam + preds[0].scores.ham).toBeCloseTo(1, 5);
    const e = runCli(['eval', '--model', out, test]);
    expect(e.code).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.accuracy).toBeGreaterThan(0.9);
    expect(m).toHaveProperty('macro_f1');
    expect(m).toHaveProperty('mcc');
    expect(m.per_class.spam).toHaveProperty('precision');
    // --dtype bf16 (bfloat16 linear layers, float32 sums) predicts the same labels as fp32; without
    // AVX512_BF16 it runs fp32 and says so on stderr. Any other dtype is a usage error.
    const p32 = runCli(['predict', '--model', out, '--quiet', test]);
    const p16 = runCli(['predict', '--model', out, '--quiet', '--dtype', 'bf16', test]);
    expect([p32.code, p16.code]).toEqual([0, 0]);
    const labelsOf = (o: string) => o.trim().split('\n').map((l) => JSON.parse(l).label);
    expect(labelsOf(p16.stdout)).toEqual(labelsOf(p32.stdout));
    expect(p16.stderr).toEqual(native.bf16Supported() ? '' : expect.stringMatching(/needs AVX512_BF16.*running fp32/));
    const e16 = runCli(['eval', '--model', out, '--dtype', 'bf16', test]);
    expect(JSON.parse(e16.stdout).accuracy).toBe(m.accuracy);
    // --dtype int8 (the encoder's linear layers quantized, int32 sums) likewise, with scores near fp32's
    const p8 = runCli(['predict', '--model', out, '--quiet', '--dtype', 'int8', test]);
    expect(p8.code, p8.stderr).toBe(0);
    expect(labelsOf(p8.stdout)).toEqual(labelsOf(p32.stdout));
    expect(p8.stderr).toEqual(native.int8Supported() ? '' : expect.stringMatching(/needs AVX512-VNNI.*running fp32/));
    const scores = (o: string) => o.trim().split('\n').map((l) => JSON.parse(l).score as number);
    scores(p8.stdout).forEach((s, i) => expect(Math.abs(s - scores(p32.stdout)[i])).toBeLessThan(0.05));
    const e8 = runCli(['eval', '--model', out, '--dtype', 'int8', test]);
    expect(JSON.parse(e8.stdout).accuracy).toBe(m.accuracy);
    const badDtype = runCli(['predict', '--model', out, '--dtype', 'fp16'], { input: 'apple\n' });
    expect(badDtype.code).toBe(2);
    expect(badDtype.stderr).toMatch(/--dtype.*expected fp32, bf16 or int8, got 'fp16'/);
    // a label the model was not trained on is named with its line, not scored as a wrong answer
    const unknown = write('cls-unknown.tsv', ['text', 'label'], [['apple win', 'spam'], ['river meeting', 'maybe']]);
    const bad = runCli(['eval', '--model', out, unknown]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bert-cli: error: unknown label 'maybe', .*cls-unknown\.tsv:3 \(the model knows ham, spam\)\n$/);
  });

  it('pair: whether the two texts share their first word', () => {
    const rows = (n: number) => Array.from({ length: n }, () => {
      const a = sentence(4), same = rand() < 0.5;
      const first = same ? a.split(' ')[0] : WORDS.find((w) => w !== a.split(' ')[0] && rand() < 0.3) ?? 'storm';
      return [a, `${first} ${sentence(3)}`, same ? 'same' : 'different'];
    });
    const train = write('pair-train.tsv', ['text_a', 'text_b', 'label'], rows(300)), dev = write('pair-dev.tsv', ['text_a', 'text_b', 'label'], rows(80));
    const r = ft(['--task', 'pair', '--train', train, '--dev', dev, '--out', join(dir, 'pair'), '--epochs', '20']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.75);
  });

  it('regression: the number of times "storm" occurs', () => {
    const rows = (n: number) => Array.from({ length: n }, () => {
      const k = Math.floor(rand() * 4);
      return [sentence(4, new Array(k).fill('storm')).replace(/storm/g, 'storm'), k];
    });
    const train = write('reg-train.tsv', ['text', 'label'], rows(200)), dev = write('reg-dev.tsv', ['text', 'label'], rows(60));
    const r = ft(['--task', 'regression', '--train', train, '--dev', dev, '--out', join(dir, 'reg'), '--epochs', '15']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.8); // Pearson
  });

  it('similarity: two texts and how many of A\'s words B repeats (STS-B\'s shape), a family added as one file', () => {
    // its own generator: the other tests' data stay as they were
    const r2 = mulberry32(99), first = WORDS.slice(0, 6), second = WORDS.slice(6);
    const rows = (n: number) => Array.from({ length: n }, () => {
      const a = [...first].sort(() => r2() - 0.5).slice(0, 4), k = Math.floor(r2() * 5);
      const b = [...a.slice(0, k), ...[...second].sort(() => r2() - 0.5).slice(0, 4 - k)].sort(() => r2() - 0.5);
      return [a.join(' '), b.join(' '), k];
    });
    const train = write('sim-train.tsv', ['text_a', 'text_b', 'label'], rows(300)), dev = write('sim-dev.tsv', ['text_a', 'text_b', 'label'], rows(60));
    const r = ft(['--task', 'similarity', '--train', train, '--dev', dev, '--out', join(dir, 'sim'), '--epochs', '15']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.8); // Pearson
    const cfg = JSON.parse(readFileSync(join(dir, 'sim', 'config.json'), 'utf8'));
    expect([cfg.bert_cli_task, cfg.problem_type]).toEqual(['similarity', 'regression']);
    const p = runCli(['predict', '--model', join(dir, 'sim'), '--quiet'], { input: 'apple river stone cloud\tcloud stone river apple\napple river stone cloud\tseven table light sound\n' });
    const [same, apart] = p.stdout.trim().split('\n').map((l) => JSON.parse(l).score);
    expect(same).toBeGreaterThan(apart + 1);
    const e = runCli(['eval', '--model', join(dir, 'sim'), dev]);
    expect(Object.keys(JSON.parse(e.stdout))).toEqual(['task', 'loss', 'pearson', 'spearman', 'mse', 'count', 'truncated', 'skipped']);
  });

  it('multilabel: which of "win" and "meeting" occur', () => {
    const rows = (n: number) => Array.from({ length: n }, () => {
      const a = rand() < 0.5, b = rand() < 0.5;
      return [sentence(4, [...(a ? ['win'] : []), ...(b ? ['meeting'] : [])]), [a ? 'money' : '', b ? 'work' : ''].filter(Boolean).join(',') || 'none'];
    });
    const train = write('ml-train.tsv', ['text', 'label'], rows(200)), dev = write('ml-dev.tsv', ['text', 'label'], rows(60));
    const r = ft(['--task', 'multilabel', '--train', train, '--dev', dev, '--out', join(dir, 'ml'), '--epochs', '15']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.85); // micro F1
    const p = runCli(['predict', '--model', join(dir, 'ml'), '--quiet'], { input: 'apple win meeting\n' });
    expect(JSON.parse(p.stdout).labels.sort()).toEqual(['money', 'work']);
  });

  it('bad input: an unknown label column and a malformed row name the file and line', () => {
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'text\tlabel\napple\tspam\nriver\n');
    const r = ft(['--task', 'classify', '--train', bad, '--out', join(dir, 'x')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bert-cli: error: expected 2 fields as the header has, found 1, .*bad\.tsv:3 \(--skip-bad skips such rows\)\n$/);
    const noLabel = ft(['--task', 'classify', '--train', bad, '--label-column', 'y', '--out', join(dir, 'x'), '--skip-bad']);
    expect(noLabel.code).toBe(1);
    expect(noLabel.stderr).toMatch(/no 'y' field, .*bad\.tsv:2/);
    const unknown = ft(['--task', 'summarize', '--train', bad, '--out', join(dir, 'x')]);
    expect(unknown.code).toBe(2); // a usage error: not a task family
    expect(unknown.stderr).toMatch(/--task.*summarize/);
  });

  // last: its random draws would otherwise change the data of the tests after it
  it('classify with --dtype bf16 (mixed-precision training) learns as fp32 does', () => {
    const rows = (n: number) => Array.from({ length: n }, () => (rand() < 0.5 ? [sentence(5, ['win', 'prize']), 'spam'] : [sentence(5, ['meeting']), 'ham']));
    const train = write('cls16-train.tsv', ['text', 'label'], rows(200)), test = write('cls16-test.tsv', ['text', 'label'], rows(60));
    const out = join(dir, 'cls16');
    const r = ft(['--task', 'classify', '--train', train, '--dev', test, '--out', out, '--epochs', '10', '--dtype', 'bf16']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.9);
    expect(r.stderr).toEqual(native.bf16Supported() ? '' : expect.stringMatching(/needs AVX512_BF16.*running fp32/));
  });
});

describe('settings by the model\'s size', () => {
  it('left-out flags follow the size table (a tiny model: lr 3e-4, 4 epochs), an explicit flag wins, and the choice is printed and saved in the report', () => {
    const train = write('size-train.tsv', ['text', 'label'], Array.from({ length: 40 }, (_, i) => [sentence(4, [i % 2 ? 'win' : 'meeting']), i % 2 ? 'spam' : 'ham']));
    const out = join(dir, 'sized');
    const r = runCli(['finetune', '--model', pretrained, '--task', 'classify', '--train', train, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).settings).toEqual({ lr: 3e-4, epochs: 4, batchSize: 32, warmupRatio: 0.1 });
    expect(r.stderr).toMatch(/settings for a tiny\/mini \(≤ 5M encoder parameters\) model: lr 0\.0003, 4 epochs, batch 32, warmup ratio 0\.1 \(by size; each flag overrides\)/);
    expect(JSON.parse(r.stdout).steps).toBe(4 * 2); // 40 examples in batches of 32, 4 epochs
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toMatch(/--lr, --epochs, --batch-size, --warmup-ratio from the row for tiny\/mini/);
    const given = runCli(['finetune', '--model', pretrained, '--task', 'classify', '--train', train, '--out', join(dir, 'sized2'), '--json', '--lr', '1e-3', '--epochs', '1']);
    expect(JSON.parse(given.stdout).settings).toEqual({ lr: 1e-3, epochs: 1, batchSize: 32, warmupRatio: 0.1 });
    expect(given.stderr).toMatch(/\(--batch-size, --warmup-ratio by size; the rest as given\)/);
  });

  it('the table: BERT-base gets BERT\'s own settings, small and medium the middle row', async () => {
    const { finetuneDefaults } = await import('../../lib/train/finetune-defaults.js');
    const size = (name: 'tiny' | 'mini' | 'small' | 'medium' | 'base' | 'large') => finetuneDefaults(presetConfig(name, 30522), {}).settings.lr;
    expect([size('tiny'), size('mini'), size('small'), size('medium'), size('base'), size('large')]).toEqual([3e-4, 3e-4, 1e-4, 1e-4, 2e-5, 2e-5]);
    expect(finetuneDefaults(presetConfig('base', 30522), {}).settings.epochs).toBe(3);
    // dropout: the model's, but BERT's 0.1 for a model pretrained without (as Cramming fine-tunes); a flag wins
    const { finetuneDropout } = await import('../../lib/train/finetune-defaults.js');
    const off = { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
    expect([finetuneDropout(off, undefined), finetuneDropout(off, 0), finetuneDropout({ hidden_dropout_prob: 0.2, attention_probs_dropout_prob: 0.2 }, undefined)]).toEqual([0.1, 0, undefined]);
  });
});
