// bert-cli eval: a fine-tuned model's metrics on labelled data, as JSON.
import { Command } from 'commander';
import { BertError } from '../../lib/errors.js';
import { setDtype, setThreads } from '../../lib/engine.js';
import { parseDtype, parseNumber, parsePositiveInt } from '../../lib/cli/options.js';
import { loadModelDir, modelDirConfig, requireTaskHead } from '../../lib/io/model-dir.js';
import { labelsOf } from '../../lib/config.js';
import { assertMemoryFits } from '../../lib/model/memory.js';
import { readRecords } from '../../lib/tasks/records.js';
import { architectureOfTask, defaultColumns, encodeExamples, maxLengthOfConfig, taskOfConfig, TASKS, type SequenceTask, type Task } from '../../lib/tasks/sequence.js';
import { encodeTagged, readTagged } from '../../lib/tasks/tagging.js';
import { choiceAdapter, qaAdapter, sequenceAdapter, taggingAdapter } from '../../lib/tasks/adapters.js';
import { encodeChoices } from '../../lib/tasks/choice.js';
import { encodeQa, qaSettingsOf, readQa } from '../../lib/tasks/qa.js';

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate a fine-tuned model on labelled data: its metrics, as a table or JSON')
    .argument('<file>', 'labelled data: .tsv, .csv or .jsonl; CoNLL or .jsonl {words, tags} for tag')
    .requiredOption('--model <dir>', 'a fine-tuned model directory')
    .option('--task <task>', `the task family (default: the model's): ${TASKS.join(', ')}`)
    .option('--batch-size <n>', 'examples per batch', parsePositiveInt, 32)
    .option('--max-length <n>', 'tokens per example (default: the length the model was fine-tuned with, else 128)', parsePositiveInt)
    .option('--text-column <name>', 'the text column')
    .option('--text-pair-column <name>', 'the second text column for pair')
    .option('--label-column <name>', 'the label column', 'label')
    .option('--skip-bad', 'skip malformed rows')
    .option('--doc-stride <n>', 'qa: context tokens shared by consecutive windows (default: as fine-tuned)', parsePositiveInt)
    .option('--null-threshold <x>', 'qa (SQuAD v2 models): answer nothing when "no answer" beats the best span by more than this', parseNumber, 0)
    .option('--threads <n>', 'threads the kernels use', parsePositiveInt)
    .option('--dtype <type>', 'fp32, or bf16: bfloat16 linear layers with float32 sums (needs AVX512_BF16; else fp32 with a notice)', parseDtype, 'fp32')
    .option('--json', 'one JSON line (default: a table on a terminal, indented JSON otherwise)')
    .addHelpText('after', `
Metrics: accuracy, macro and micro F1, per-class precision/recall/F1, MCC and the confusion matrix for
classify/pair; Pearson, Spearman and MSE for regression; micro/macro F1 and subset accuracy for multilabel;
entity-level precision/recall/F1 (conlleval/seqeval chunking of IOB tags) and token accuracy for tag;
EM and F1 (percent) with the official SQuAD v2.0 script's normalisation for qa, HasAns/NoAns for v2 data.

Example:
  $ bert-cli eval --model out/spam data/spam/test.tsv
`)
    .action((file: string, opts: { model: string; dtype: 'fp32' | 'bf16'; task?: string; batchSize: number; maxLength?: number; textColumn?: string; textPairColumn?: string; labelColumn: string; skipBad?: boolean; threads?: number; docStride?: number; nullThreshold: number; json?: boolean }) => {
      setThreads(opts.threads);
      if (opts.task && !(TASKS as readonly string[]).includes(opts.task)) throw new BertError(`unknown task '${opts.task}'`, { where: '--task' });
      const task = (opts.task as Task | undefined) ?? taskOfConfig(modelDirConfig(opts.model));
      const loaded = loadModelDir(opts.model, { arch: architectureOfTask(task) });
      requireTaskHead(loaded, task, opts.model);
      const print = (r: Record<string, unknown>) => process.stdout.write(
        (opts.json ? JSON.stringify(r) : process.stdout.isTTY ? metricsTable(r) : JSON.stringify(r, null, 2)) + '\n');
      const dtype = setDtype(loaded.model, opts.dtype);
      const labels = labelsOf(loaded.cfg);
      const maxLength = maxLengthOfConfig(loaded.cfg, opts.maxLength);
      assertMemoryFits(loaded.cfg, opts.batchSize, maxLength, { training: false, bf16: dtype === 'bf16', what: 'evaluation' });
      const pad = loaded.tokenizer.vocab.special('[PAD]');
      if (task === 'tag') {
        const t = readTagged(file, { skipBad: opts.skipBad });
        const { examples, truncated, wordsCut } = encodeTagged(t.sentences, loaded.tokenizer, labels, maxLength);
        const r = taggingAdapter(labels, pad).evaluate(loaded.model, examples, opts.batchSize);
        print({ task, loss: r.loss, ...r.metrics, truncated, words_cut: wordsCut, skipped: t.skipped.length });
        return;
      }
      if (task === 'qa') {
        const s = qaSettingsOf(loaded.cfg, maxLength, opts);
        const q = readQa(file, { skipBad: opts.skipBad });
        const { features } = encodeQa(q.records, loaded.tokenizer, s);
        const r = qaAdapter(q.records, pad, s).evaluate(loaded.model, features, opts.batchSize);
        print({ task, loss: r.loss, ...r.metrics, windows: features.length, skipped: q.skipped.length, relocated_answers: q.relocated.length });
        return;
      }
      if (task === 'choice') {
        const src = readRecords(file, { skipBad: opts.skipBad });
        const { examples, truncated } = encodeChoices(src, loaded.tokenizer, maxLength, true, opts.labelColumn);
        const r = choiceAdapter(pad).evaluate(loaded.model, examples, opts.batchSize);
        print({ task, loss: r.loss, ...r.metrics, truncated, skipped: src.skipped.length });
        return;
      }
      const cols = defaultColumns(task as SequenceTask);
      if (opts.textColumn) cols.text = opts.textColumn;
      if (opts.textPairColumn) cols.pair = opts.textPairColumn;
      cols.label = opts.labelColumn;
      const src = readRecords(file, { skipBad: opts.skipBad });
      const { examples, truncated } = encodeExamples(src, loaded.tokenizer, task as SequenceTask, cols, labels, maxLength);
      const r = sequenceAdapter(task as SequenceTask, labels, pad).evaluate(loaded.model, examples, opts.batchSize);
      print({ task, loss: r.loss, ...r.metrics, truncated, skipped: src.skipped.length });
    });
}

/** The metrics as a person reads them: one figure a line, per-class figures as a table. */
export function metricsTable(r: Record<string, unknown>): string {
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : typeof v === 'string' ? v : JSON.stringify(v));
  const lines: string[] = [];
  const tables: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const rows = Object.entries(v as Record<string, Record<string, unknown>>);
      const cols = [...new Set(rows.flatMap(([, x]) => Object.keys(x)))];
      const width = Math.max(k.length, ...rows.map(([name]) => name.length));
      tables.push('', [k.padEnd(width), ...cols.map((c) => c.padStart(10))].join(' '),
        ...rows.map(([name, x]) => [name.padEnd(width), ...cols.map((c) => fmt(x[c]).padStart(10))].join(' ')));
    } else if (Array.isArray(v) && v.every(Array.isArray)) {
      tables.push('', k, ...(v as unknown[][]).map((row) => '  ' + row.map((x) => fmt(x).padStart(6)).join(' ')));
    } else {
      lines.push(`${k.padEnd(22)} ${fmt(v)}`);
    }
  }
  return [...lines, ...tables].join('\n');
}
