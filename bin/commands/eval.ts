// bert-cli eval: a fine-tuned model's metrics on labelled data, as JSON.
import { Command } from 'commander';
import { BertError } from '../../lib/errors.js';
import { setThreads } from '../../lib/engine.js';
import { parsePositiveInt } from '../../lib/cli/options.js';
import { loadModelDir } from '../../lib/io/model-dir.js';
import { labelsOf } from '../../lib/config.js';
import { readRecords } from '../../lib/tasks/records.js';
import { defaultColumns, encodeExamples, taskOfConfig, SEQUENCE_TASKS, type SequenceTask } from '../../lib/tasks/sequence.js';
import { evaluateExamples } from '../../lib/train/finetune.js';

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate a fine-tuned model on labelled data: metrics as JSON')
    .argument('<file>', 'labelled data: .tsv, .csv or .jsonl')
    .requiredOption('--model <dir>', 'a fine-tuned model directory')
    .option('--task <task>', `the task family (default: the model's): ${SEQUENCE_TASKS.join(', ')}`)
    .option('--batch-size <n>', 'examples per batch', parsePositiveInt, 32)
    .option('--max-length <n>', 'tokens per example', parsePositiveInt, 128)
    .option('--text-column <name>', 'the text column')
    .option('--text-pair-column <name>', 'the second text column for pair')
    .option('--label-column <name>', 'the label column', 'label')
    .option('--skip-bad', 'skip malformed rows')
    .option('--threads <n>', 'threads the kernels use', parsePositiveInt)
    .addHelpText('after', `
Metrics: accuracy, macro and micro F1, per-class precision/recall/F1, MCC and the confusion matrix for
classify/pair; Pearson, Spearman and MSE for regression; micro/macro F1 and subset accuracy for multilabel.

Example:
  $ bert-cli eval --model out/spam data/spam/test.tsv
`)
    .action((file: string, opts: { model: string; task?: string; batchSize: number; maxLength: number; textColumn?: string; textPairColumn?: string; labelColumn: string; skipBad?: boolean; threads?: number }) => {
      setThreads(opts.threads);
      const loaded = loadModelDir(opts.model, { arch: 'BertForSequenceClassification' });
      if (!loaded.tokenizer) throw new BertError('model directory has no vocab.txt', { where: opts.model });
      if (opts.task && !(SEQUENCE_TASKS as readonly string[]).includes(opts.task)) throw new BertError(`unknown task '${opts.task}'`, { where: '--task' });
      const task = (opts.task as SequenceTask | undefined) ?? taskOfConfig(loaded.cfg);
      const labels = labelsOf(loaded.cfg);
      const cols = defaultColumns(task);
      if (opts.textColumn) cols.text = opts.textColumn;
      if (opts.textPairColumn) cols.pair = opts.textPairColumn;
      cols.label = opts.labelColumn;
      const src = readRecords(file, { skipBad: opts.skipBad });
      const { examples, truncated } = encodeExamples(src, loaded.tokenizer, task, cols, labels, opts.maxLength);
      const r = evaluateExamples(loaded.model, examples, task, labels, opts.batchSize, loaded.tokenizer.vocab.special('[PAD]'));
      process.stdout.write(JSON.stringify({ task, loss: r.loss, ...r.metrics, truncated, skipped: src.skipped.length }, null, 2) + '\n');
    });
}
