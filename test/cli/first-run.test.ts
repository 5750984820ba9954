// What a new user meets: every subcommand explains itself with an example, and every kind of mistake
// — a missing file, a bad flag value, a malformed input line, a corrupt model directory — is one line
// on stderr naming the file and line, the flag or the tensor, with exit code 2 (usage) or 1 (runtime)
// and no stack trace.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../bin/program.js';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { saveModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { execFileSync } from 'node:child_process';
import { CLI, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-first-run-'));
const p = (...xs: string[]) => join(dir, ...xs);

beforeAll(() => {
  const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'congress', 'law', 'free', 'prize', 'meeting']);
  writeFileSync(p('vocab.txt'), vocab.toText());
  const cfg = validateConfig({ ...presetConfig('tiny', vocab.size), hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32 });
  const tok = new Tokenizer(vocab);
  const mlm = new BertForTask(cfg, 'BertForPreTraining');
  mlm.initialize(1);
  saveModelDir(p('pretrained'), mlm, tok);
  const clf = new BertForTask({ ...cfg, id2label: { 0: 'ham', 1: 'spam' }, label2id: { ham: 0, spam: 1 } }, 'BertForSequenceClassification');
  clf.initialize(2);
  saveModelDir(p('clf'), clf, tok);
  // corrupt copies: a config.json cut short, a weights file cut short, a tensor of the wrong shape
  for (const name of ['bad-config', 'bad-weights', 'bad-shape']) {
    mkdirSync(p(name));
    for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors']) copyFileSync(p('clf', f), p(name, f));
  }
  writeFileSync(p('bad-config', 'config.json'), readFileSync(p('clf', 'config.json'), 'utf8').slice(0, 40));
  truncateSync(p('bad-weights', 'model.safetensors'), statSync(p('clf', 'model.safetensors')).size - 100);
  writeFileSync(p('bad-shape', 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(p('clf', 'config.json'), 'utf8')), intermediate_size: 48 }));
  writeFileSync(p('train.tsv'), 'text\tlabel\nthe free prize\tspam\nthe congress meeting\tham\n');
  writeFileSync(p('ragged.tsv'), 'text\tlabel\nthe free prize\tspam\nthe congress\n');
  writeFileSync(p('bad.jsonl'), '{"text": "the law", "label": "ham"}\n{"text": "the free\n');
  writeFileSync(p('pairs.txt'), 'the law\tthe congress\nno tab here\n');
  writeFileSync(p('corpus.txt'), 'the congress shall make no law.\nthe law is free.\n\nthe prize is free.\nthe meeting is free.\n');
});

describe('every subcommand', () => {
  const names = buildProgram().commands.map((c) => c.name());
  it.each(names)('%s --help explains itself with an example', (name) => {
    const r = runCli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Examples?:\\n(\\s+\\$ .*\\n)*\\s+\\$ .*bert-cli ${name}`));
  });
});

// [what, argv, exit code, stderr pattern]
const cases: [string, () => string[], number, RegExp][] = [
  // a missing file
  ['tokenize: missing input', () => ['tokenize', '--vocab', p('vocab.txt'), p('nope.txt')], 1, /not found.*nope\.txt/],
  ['tokenize: missing vocab', () => ['tokenize', '--vocab', p('nope-vocab.txt')], 1, /nope-vocab\.txt/],
  ['vocab: missing corpus', () => ['vocab', p('nope.txt'), '--size', '100', '-o', p('v.txt')], 1, /nope\.txt/],
  ['pretrain: missing corpus', () => ['pretrain', p('nope.txt'), '--vocab', p('vocab.txt'), '--out', p('o1')], 1, /nope\.txt/],
  ['finetune: missing training file', () => ['finetune', '--model', p('pretrained'), '--task', 'classify', '--train', p('nope.tsv'), '--out', p('o2')], 1, /nope\.tsv/],
  ['predict: missing input', () => ['predict', '--model', p('clf'), p('nope.tsv')], 1, /nope\.tsv/],
  ['eval: missing file', () => ['eval', '--model', p('clf'), p('nope.tsv')], 1, /nope\.tsv/],
  ['predict: missing model directory', () => ['predict', '--model', p('no-model')], 1, /no-model/],
  // a bad flag value
  ['tokenize: --max-length 0', () => ['tokenize', '--vocab', p('vocab.txt'), '--max-length', '0'], 2, /option '--max-length <n>' argument '0' is invalid/],
  ['pretrain: --lr abc', () => ['pretrain', p('corpus.txt'), '--vocab', p('vocab.txt'), '--lr', 'abc', '--out', p('o3')], 2, /--lr <x>' argument 'abc' is invalid/],
  ['pretrain: --mask-prob 1.5', () => ['pretrain', p('corpus.txt'), '--vocab', p('vocab.txt'), '--mask-prob', '1.5', '--out', p('o3')], 2, /--mask-prob <p>' argument '1.5' is invalid/],
  ['pretrain: --max-length over the model', () => ['pretrain', p('corpus.txt'), '--init', p('pretrained'), '--max-length', '64', '--out', p('o3')], 2, /--max-length 64 is over max_position_embeddings 32/],
  ['finetune: --max-length over the model', () => ['finetune', '--model', p('pretrained'), '--task', 'classify', '--train', p('train.tsv'), '--max-length', '64', '--out', p('o4')], 2, /--max-length 64 is over the model's max_position_embeddings 32/],
  ['finetune: --task foo', () => ['finetune', '--model', p('pretrained'), '--task', 'foo', '--train', p('train.tsv'), '--out', p('o4')], 2, /--task <task>' argument 'foo' is invalid/],
  ['finetune: --batch-size -3', () => ['finetune', '--model', p('pretrained'), '--task', 'classify', '--train', p('train.tsv'), '--batch-size', '-3', '--out', p('o4')], 2, /--batch-size <n>' argument '-3' is invalid/],
  ['predict: --threads 0', () => ['predict', '--model', p('clf'), '--threads', '0'], 2, /--threads <n>' argument '0' is invalid/],
  ['quickstart: unknown flag', () => ['quickstart', '--fastest'], 2, /unknown option '--fastest' \(Did you mean --fast\?\)/],
  // a malformed input line
  ['tokenize --pair: a line without a tab', () => ['tokenize', '--vocab', p('vocab.txt'), '--pair', p('pairs.txt')], 1, /pairs\.txt:2/],
  ['finetune: a ragged TSV row', () => ['finetune', '--model', p('pretrained'), '--task', 'classify', '--train', p('ragged.tsv'), '--out', p('o5')], 1, /ragged\.tsv:3/],
  ['eval: a broken JSON line', () => ['eval', '--model', p('clf'), p('bad.jsonl')], 1, /bad\.jsonl:2/],
  ['predict: a broken JSON line', () => ['predict', '--model', p('clf'), p('bad.jsonl')], 1, /bad\.jsonl:2/],
  // a corrupt model directory
  ['predict: config.json cut short', () => ['predict', '--model', p('bad-config')], 1, /invalid JSON.*bad-config.config\.json/],
  ['eval: weights cut short', () => ['eval', '--model', p('bad-weights'), p('train.tsv')], 1, /bad-weights.model\.safetensors/],
  ['fill-mask: weights cut short', () => ['fill-mask', '--model', p('bad-weights'), 'the [MASK]'], 1, /bad-weights.model\.safetensors/],
  ['embed: a tensor of the wrong shape', () => ['embed', '--model', p('bad-shape')], 1, /intermediate\.dense\.weight/],
  ['finetune: a corrupt base model', () => ['finetune', '--model', p('bad-config'), '--task', 'classify', '--train', p('train.tsv'), '--out', p('o6')], 1, /bad-config.config\.json/],
  ['info: weights cut short', () => ['info', '--model', p('bad-weights')], 1, /bad-weights.model\.safetensors/],
];

describe('mistakes are one line with an exit code', () => {
  it.each(cases)('%s', (_, argv, code, pattern) => {
    const r = runCli(argv(), { input: 'the law\n' });
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^bert-cli: error: /);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.code).toBe(code);
  });

  it('--verbose (or BERT_DEBUG=1) adds the stack trace', () => {
    const r = runCli(['--verbose', 'eval', '--model', p('clf'), p('nope.tsv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
    expect(runCli(['eval', '--model', p('clf'), p('nope.tsv')], { env: { BERT_DEBUG: '1' } }).stderr).toMatch(/\n\s+at /);
  });
});

describe('the installed command', () => {
  it('runs as an executable, as npx and a shell run it (the build sets the bit; tsc does not)', () => {
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    expect(execFileSync(CLI, ['--help'], { encoding: 'utf8' })).toMatch(/quickstart/);
  });
});
