// One home per default (lib/defaults.ts): the CLI's flags show and use the library's values, and at a
// model with 512 positions — larger than any default, so nothing is clamped — every family picks its
// own length (BERT's 128, QA's 384), fine-tuning end to end included. A family default of 512, or a
// CLI literal that drifted from the library's, fails here.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../bin/program.js';
import { finetune } from '../../lib/api/finetune.js';
import { validateConfig } from '../../lib/config.js';
import { DEFAULT_MAX_LENGTH, DEFAULTS } from '../../lib/defaults.js';
import { saveModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { FAMILIES, maxLengthOfConfig, trainingMaxLength } from '../../lib/tasks/registry.js';
import { tinyPretraining } from '../helpers/tiny-pretraining.js';

const opt = (program: Command, command: string, flag: string): Option => {
  const c = program.commands.find((x) => x.name() === command)!;
  const o = c.options.find((x) => x.long === flag);
  if (!o) throw new Error(`${command} has no ${flag}`);
  return o;
};

describe('one home per default', () => {
  it('every flag default is the library default (and --help says so)', () => {
    const p = buildProgram();
    const want: [string, string, unknown][] = [
      ['pretrain', '--config', DEFAULTS.pretrain.config], ['pretrain', '--batch-size', DEFAULTS.pretrain.batchSize],
      ['pretrain', '--max-length', DEFAULTS.pretrain.maxLength], ['pretrain', '--lr', DEFAULTS.pretrain.lr],
      ['pretrain', '--warmup-ratio', DEFAULTS.pretrain.warmupRatio], ['pretrain', '--short-ratio', DEFAULTS.pretrain.shortRatio],
      ['pretrain', '--mask-prob', DEFAULTS.pretrain.maskProb], ['pretrain', '--max-predictions', DEFAULTS.pretrain.maxPredictions],
      ['pretrain', '--dupe-factor', DEFAULTS.pretrain.dupeFactor], ['pretrain', '--save-every', DEFAULTS.pretrain.saveEvery],
      ['pretrain', '--seed', DEFAULTS.seed], ['pretrain', '--dtype', DEFAULTS.pretrain.dtype],
      ['finetune', '--weight-decay', DEFAULTS.finetune.weightDecay], ['finetune', '--max-grad-norm', DEFAULTS.finetune.maxGradNorm],
      ['finetune', '--grad-accum', DEFAULTS.finetune.gradAccum], ['finetune', '--scheduler', DEFAULTS.finetune.scheduler],
      ['finetune', '--seed', DEFAULTS.seed], ['finetune', '--dtype', DEFAULTS.finetune.dtype],
      ['predict', '--batch-size', DEFAULTS.inferenceBatchSize], ['predict', '--max-answer-length', DEFAULTS.qa.maxAnswerLength],
      ['predict', '--n-best', DEFAULTS.qa.nBest], ['predict', '--null-threshold', DEFAULTS.qa.nullThreshold],
      ['eval', '--batch-size', DEFAULTS.inferenceBatchSize], ['eval', '--null-threshold', DEFAULTS.qa.nullThreshold],
      ['embed', '--batch-size', DEFAULTS.inferenceBatchSize], ['fill-mask', '--top-k', DEFAULTS.topK],
    ];
    for (const [command, flag, value] of want) expect(opt(p, command, flag).defaultValue, `${command} ${flag}`).toBe(value);
    // the flags whose default depends on the model say the library's fallback in their help
    for (const [command, flag] of [['predict', '--max-length'], ['eval', '--max-length'], ['embed', '--max-length'], ['finetune', '--max-length']]) {
      expect(opt(p, command, flag).description, `${command} ${flag}`).toContain(String(DEFAULT_MAX_LENGTH));
    }
    expect(opt(p, 'finetune', '--max-length').description).toContain(String(DEFAULTS.qa.maxLength));
  });

  it("at a 512-position model every family keeps its own length, and predict uses BERT's 128 for a model that does not say", () => {
    const cfg = validateConfig({ vocab_size: 100, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 512 });
    for (const fam of Object.values(FAMILIES)) {
      expect(trainingMaxLength(fam, cfg), fam.name).toBe(fam.name === 'qa' ? DEFAULTS.qa.maxLength : DEFAULT_MAX_LENGTH);
    }
    expect(maxLengthOfConfig(cfg)).toBe(DEFAULT_MAX_LENGTH);
    // a model pretrained on 64-token sequences keeps its fine-tuning at 64
    expect(trainingMaxLength(FAMILIES.classify, { ...cfg, bert_cli_pretrain_max_length: 64 })).toBe(64);
  });

  it('fine-tuning a 512-position model with no --max-length trains and records 128 tokens', async () => {
    const t = tinyPretraining('bert-defaults-');
    const dir = mkdtempSync(join(tmpdir(), 'bert-defaults-model-'));
    const model = new BertForTask({ ...t.config, max_position_embeddings: 512 }, 'BertForPreTraining');
    model.initialize(1);
    saveModelDir(join(dir, 'pretrained'), model, t.tokenizer);
    const train = join(dir, 'train.tsv');
    writeFileSync(train, 'text\tlabel\n' + Array.from({ length: 8 }, (_, i) => `${'the nation '.repeat(100)}${i}\t${i % 2 ? 'a' : 'b'}`).join('\n') + '\n');
    const r = await finetune({ model: join(dir, 'pretrained'), task: 'classify', train, out: join(dir, 'out'), epochs: 1, batchSize: 4 });
    expect(r.steps).toBe(2);
    const saved = JSON.parse(readFileSync(join(dir, 'out', 'config.json'), 'utf8'));
    expect(saved.bert_cli_max_length).toBe(DEFAULT_MAX_LENGTH);
  });
});
