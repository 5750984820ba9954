// bert-cli embed: each pooling gives the vectors the model computes (checked against the library).
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { saveModelDir, loadModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-embed-'));
beforeAll(() => {
  const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'congress', 'law', 'shall']);
  const cfg = validateConfig({ ...presetConfig('tiny', vocab.size), hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32 });
  const m = new BertForTask(cfg, 'BertModel');
  m.initialize(4);
  saveModelDir(join(dir, 'm'), m, new Tokenizer(vocab));
});

describe('bert-cli embed', () => {
  it('cls, pooler, mean and tokens, in input order; padding does not change a text\'s vector', () => {
    const input = 'the congress\nthe law shall the congress\tthe law\n';
    const out = (pooling: string) => runCli(['embed', '--model', join(dir, 'm'), '--pooling', pooling], { input }).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const cls = out('cls'), mean = out('mean'), pooler = out('pooler'), tokens = out('tokens');
    expect(cls).toHaveLength(2);
    expect(cls[0].embedding).toHaveLength(16);
    expect(tokens[0].tokens).toEqual(['[CLS]', 'the', 'congress', '[SEP]']);
    expect(tokens[1].tokens).toEqual(['[CLS]', 'the', 'law', 'shall', 'the', 'congress', '[SEP]', 'the', 'law', '[SEP]']);
    for (let j = 0; j < 16; j++) {
      expect(cls[0].embedding[j]).toBeCloseTo(tokens[0].embeddings[0][j], 5);
      const avg = tokens[0].embeddings.reduce((a: number, v: number[]) => a + v[j], 0) / 4;
      expect(mean[0].embedding[j]).toBeCloseTo(avg, 5); // the pad row of the batch is excluded
    }
    // alone (no padding) the first text gives the same vector
    const alone = runCli(['embed', '--model', join(dir, 'm')], { input: 'the congress\n' }).stdout;
    JSON.parse(alone).embedding.forEach((v: number, j: number) => expect(v).toBeCloseTo(cls[0].embedding[j], 5));
    expect(pooler[0].embedding.every((v: number) => Math.abs(v) <= 1)).toBe(true); // tanh
    expect(loadModelDir(join(dir, 'm')).model.arch).toBe('BertModel');
  });

  it('refuses --pooling pooler for a checkpoint without a trained pooler (HF saves BertForMaskedLM without one)', () => {
    // a BertForMaskedLM directory: encoder and MLM head, no pooler; loaded as BertModel, its pooler would be random
    const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'law']);
    const cfg = validateConfig({ ...presetConfig('tiny', vocab.size), hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32 });
    const mlm = new BertForTask(cfg, 'BertForMaskedLM');
    mlm.initialize(5);
    saveModelDir(join(dir, 'mlm'), mlm, new Tokenizer(vocab));
    const r = runCli(['embed', '--model', join(dir, 'mlm'), '--pooling', 'pooler'], { input: 'the law\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^bert-cli: error: the model has no trained pooler, .*mlm \(use pooling cls or mean\)\n$/);
    expect(runCli(['embed', '--model', join(dir, 'mlm'), '--pooling', 'cls'], { input: 'the law\n' }).code).toBe(0);
  });

  it('a sentence-transformers directory: its pooling, Normalize and max_seq_length are the defaults; max pooling is the max over the tokens', () => {
    const st = join(dir, 'st');
    cpSync(join(dir, 'm'), st, { recursive: true });
    writeFileSync(join(st, 'modules.json'), JSON.stringify([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]));
    mkdirSync(join(st, '1_Pooling'));
    writeFileSync(join(st, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 16, pooling_mode_cls_token: false, pooling_mode_mean_tokens: true, pooling_mode_max_tokens: false, pooling_mode_mean_sqrt_len_tokens: false }));
    writeFileSync(join(st, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 4, do_lower_case: false }));
    const input = 'the congress shall make no law\nthe law\n';
    const vecs = (args: string[], m = st) => runCli(['embed', '--model', m, ...args], { input }).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const byDefault = vecs([]).map((r) => r.embedding);
    expect(byDefault).toEqual(vecs(['--pooling', 'mean', '--normalize', '--max-length', '4'], join(dir, 'm')).map((r) => r.embedding));
    for (const v of byDefault) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    const raw = vecs(['--no-normalize']).map((r) => r.embedding);
    expect(Math.hypot(...raw[0])).not.toBeCloseTo(1, 2);
    // max pooling against the max of the token vectors the same model prints
    const tokens = vecs(['--pooling', 'tokens', '--no-normalize']);
    const max = vecs(['--pooling', 'max', '--no-normalize']);
    tokens.forEach((t, i) => {
      expect(t.tokens).toHaveLength(Math.min(4, t.tokens.length));
      const want = t.embeddings[0].map((_: number, j: number) => Math.max(...t.embeddings.map((e: number[]) => e[j])));
      max[i].embedding.forEach((x: number, j: number) => expect(x).toBeCloseTo(want[j], 5));
    });
    writeFileSync(join(st, '1_Pooling', 'config.json'), JSON.stringify({ pooling_mode_mean_sqrt_len_tokens: true }));
    const bad = runCli(['embed', '--model', st], { input });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bert-cli: error: pooling mean_sqrt_len_tokens is not supported \(CLS token, mean or max\), \S+1_Pooling.config\.json\n$/);
  });
});
