import { describe, it, expect } from 'vitest';
import { native } from '../../lib/native.js';
import { runCli } from './helpers.js';

describe('bert-cli info', () => {
  it('reports the kernel path, honouring BERT_ISA and --threads', () => {
    const r = runCli(['info', '--json', '--threads', '1'], { env: { BERT_ISA: 'scalar' } });
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.engine.isa).toBe('scalar');
    expect(info.engine.threads).toBe(1);
    expect(info.engine.availableIsas).toEqual(native.availableIsas());
  });

  it('picks the widest path by default', () => {
    const r = runCli(['info', '--json']);
    expect(JSON.parse(r.stdout).engine.isa).toBe(native.availableIsas()[0]);
  });

  it('a bad flag value is one line on stderr and exit code 2', () => {
    const r = runCli(['info', '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^bert-cli: error: option '--threads <n>' argument '0' is invalid/);
  });

  it('an unknown command is a usage error', () => {
    const r = runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bert-cli: error: unknown command 'frobnicate'/);
  });

  it('--help has an example', () => {
    const r = runCli(['info', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+\$ bert-cli info/);
  });
});

describe('bert-cli info --model', () => {
  it('describes a model directory', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { presetConfig } = await import('../../lib/config.js');
    const { BertForTask } = await import('../../lib/model/bert.js');
    const { saveModelDir } = await import('../../lib/model-dir/model-dir.js');
    const { Tokenizer } = await import('../../lib/tokenizer/tokenizer.js');
    const { bertBaseUncasedVocabPath } = await import('../helpers/bert-vocab.js');
    const dir = mkdtempSync(join(tmpdir(), 'bert-cli-info-'));
    const cfg = { ...presetConfig('mini', 30522), id2label: { 0: 'ham', 1: 'spam' }, label2id: { ham: 0, spam: 1 } };
    const m = new BertForTask(cfg, 'BertForSequenceClassification');
    saveModelDir(dir, m, Tokenizer.fromVocabFile(bertBaseUncasedVocabPath()));
    const r = runCli(['info', '--model', dir, '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout).model;
    expect(info).toMatchObject({ architecture: 'BertForSequenceClassification', layers: 4, hidden: 256, heads: 4, vocabSize: 30522, lowercase: true, labels: ['ham', 'spam'] });
    expect(info.parameters).toBe(m.store.size);
    expect(runCli(['info', '--model', dir]).stdout).toMatch(/parameters [\d,]+ \(11\.2M\)/);
  });

  it('a corrupt config.json is one line naming the file, exit 1', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'bert-cli-info-'));
    writeFileSync(join(dir, 'config.json'), '{"hidden_size": 30, "num_attention_heads": 4');
    const r = runCli(['info', '--model', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bert-cli: error: invalid JSON .*config\.json\n$/);
  });
});
