// bert-cli eval: a fine-tuned model's metrics on labelled data, as JSON.
import { DEFAULT_MAX_LENGTH, DEFAULTS } from '../../lib/defaults.js';
import { Command } from 'commander';
import { loadModel } from '../../lib/api/model.js';
import { TASKS, family, type Task } from '../../lib/tasks/registry.js';
import { metricsTable } from '../format.js';
import { columnOptions, columnsOf, engineOptions, parseNumber, parsePositiveInt, parseTask } from '../options.js';

interface Flags { model: string; dtype: 'fp32' | 'bf16' | 'int8'; task?: string; batchSize: number; maxLength?: number; textColumn?: string; textPairColumn?: string; labelColumn: string; skipBad?: boolean; threads?: number; docStride?: number; nullThreshold: number; json?: boolean }

export function evalCommand(): Command {
  const c = new Command('eval')
    .description('evaluate a fine-tuned model on labelled data: its metrics, as a table or JSON')
    .argument('<file>', 'labelled data: .tsv, .csv or .jsonl; CoNLL or .jsonl {words, tags} for tag')
    .requiredOption('--model <dir>', 'a fine-tuned model directory')
    .option('--task <task>', `the task family (default: the model's): ${TASKS.join(', ')}`, parseTask)
    .option('--batch-size <n>', 'examples per batch', parsePositiveInt, DEFAULTS.inferenceBatchSize)
    .option('--max-length <n>', `tokens per example (default: the length the model was fine-tuned with, else ${DEFAULT_MAX_LENGTH})`, parsePositiveInt);
  return engineOptions(columnOptions(c, { label: true })
    .option('--skip-bad', 'skip malformed rows')
    .option('--doc-stride <n>', 'qa: context tokens shared by consecutive windows (default: as fine-tuned)', parsePositiveInt)
    .option('--null-threshold <x>', 'qa (SQuAD v2 models): answer nothing when "no answer" beats the best span by more than this', parseNumber, DEFAULTS.qa.nullThreshold))
    .option('--json', 'one JSON line (default: a table on a terminal, indented JSON otherwise)')
    .addHelpText('after', `
Metrics: accuracy, macro and micro F1, per-class precision/recall/F1, MCC and the confusion matrix for
classify/pair; Pearson, Spearman and MSE for regression; micro/macro F1 and subset accuracy for multilabel;
entity-level precision/recall/F1 (conlleval/seqeval chunking of IOB tags) and token accuracy for tag;
EM and F1 (percent) with the official SQuAD v2.0 script's normalisation for qa, HasAns/NoAns for v2 data.

Example:
  $ bert-cli eval --model out/spam data/spam/test.tsv
`)
    .action(async (file: string, f: Flags) => {
      if (f.task) family(f.task); // an unknown --task, before the model loads
      const model = await loadModel(f.model, { dtype: f.dtype, threads: f.threads, onNotice: (l) => process.stderr.write(l + '\n') });
      const r = await model.evaluate(file, {
        task: f.task as Task | undefined, batchSize: f.batchSize, maxLength: f.maxLength, columns: columnsOf(f), skipBad: f.skipBad,
        qa: { docStride: f.docStride, nullThreshold: f.nullThreshold },
      });
      const out = { task: r.task, loss: r.loss, ...r.metrics, ...r.counts };
      process.stdout.write((f.json ? JSON.stringify(out) : process.stdout.isTTY ? metricsTable(out, model.labels) : JSON.stringify(out, null, 2)) + '\n');
    });
}
