// bert-cli finetune: train every parameter of a pretrained BERT under a fresh head on labelled data.
import { Command, Option } from 'commander';
import { BertError, UsageError } from '../../lib/errors.js';
import { setThreads, trainingDtype } from '../../lib/engine.js';
import { parseDropout, parseDtype, parsePositiveNumber, parseNonNegativeInt, parseNumber, parsePositiveInt, parseProbability } from '../../lib/cli/options.js';
import { Eta, formatDuration, plural } from '../../lib/cli/progress.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { readRecords } from '../../lib/tasks/records.js';
import { defaultColumns, encodeExamples, labelConfig, labelNames, TASKS, type SequenceTask, type Task } from '../../lib/tasks/sequence.js';
import { encodeTagged, readTagged, tagNames } from '../../lib/tasks/tagging.js';
import { choiceAdapter, qaAdapter, sequenceAdapter, taggingAdapter, type TaskAdapter } from '../../lib/tasks/adapters.js';
import { encodeChoices } from '../../lib/tasks/choice.js';
import { encodeQa, QA_DEFAULTS, readQa } from '../../lib/tasks/qa.js';
import { finetune } from '../../lib/train/finetune.js';
import { FINETUNE_DEFAULTS, finetuneDefaults, finetuneDropout, type FinetuneSettings } from '../../lib/train/finetune-defaults.js';

const flagName = (k: keyof FinetuneSettings) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
import { modelDirConfig } from '../../lib/io/model-dir.js';
import { runJob } from '../job.js';
import type { JobContext } from '../job-worker.js';

interface Flags {
  model: string; task: Task; train: string; dev?: string; out: string; epochs?: number; lr?: number; batchSize?: number;
  maxLength?: number; docStride: number; maxQueryLength: number; warmupRatio?: number; weightDecay: number; maxGradNorm: number; gradAccum: number; scheduler: 'linear' | 'constant';
  shuffle: boolean; seed: number; evalEvery?: number; earlyStopping?: number; threads?: number; dtype: 'fp32' | 'bf16'; dropout?: number; textColumn?: string;
  textPairColumn?: string; labelColumn?: string; skipBad?: boolean; skipNonfinite?: boolean; resume?: boolean; overwrite?: boolean; saveEvery?: number; quiet?: boolean; json?: boolean;
}

export function finetuneCommand(): Command {
  return new Command('finetune')
    .description('fine-tune a pretrained BERT (every parameter, a fresh head) on labelled data')
    .requiredOption('--model <dir>', 'the pretrained model directory')
    .addOption(new Option('--task <task>', 'classify | pair | regression | multilabel | tag | qa | choice').choices(TASKS as unknown as string[]).makeOptionMandatory())
    .requiredOption('--train <file>', 'training data: .tsv, .csv (with a header) or .jsonl; for tag CoNLL (token … tag per line) or .jsonl {words, tags}; for qa SQuAD JSON or .jsonl {question, context, answers}')
    .option('--dev <file>', 'dev data: evaluated after each epoch; the best model is kept')
    .requiredOption('--out <dir>', 'the fine-tuned model directory to write')
    .option('--epochs <n>', "passes over the training data (default: by the model's size, see below)", parsePositiveInt)
    .option('--lr <x>', "peak learning rate (default: by the model's size)", parsePositiveNumber)
    .option('--batch-size <n>', "examples per batch (default: by the model's size)", parsePositiveInt)
    .option('--dropout <p>', "hidden and attention dropout for fine-tuning (default: the model's config.json)", parseDropout)
    .option('--max-length <n>', 'tokens per example ([CLS]/[SEP] included); longer ones are truncated and counted (default 128; 384 for qa)', parsePositiveInt)
    .option('--doc-stride <n>', 'qa: context tokens shared by consecutive windows of a long context', parsePositiveInt, QA_DEFAULTS.docStride)
    .option('--max-query-length <n>', 'qa: question tokens kept', parsePositiveInt, QA_DEFAULTS.maxQueryLength)
    .option('--warmup-ratio <x>', "fraction of the steps spent warming up (default: by the model's size)", parseProbability)
    .option('--weight-decay <x>', 'AdamW weight decay (not on biases and LayerNorm)', parseNumber, 0.01)
    .option('--max-grad-norm <x>', 'clip the global gradient norm (0: no clipping)', parseNumber, 1.0)
    .option('--grad-accum <n>', 'batches per optimizer step', parsePositiveInt, 1)
    .addOption(new Option('--scheduler <kind>', 'learning-rate schedule after warmup').choices(['linear', 'constant']).default('linear'))
    .option('--no-shuffle', 'keep the training order')
    .option('--seed <n>', 'seed for the head, the order and dropout', parseNonNegativeInt, 42)
    .option('--eval-every <n>', 'also evaluate on --dev every N steps', parsePositiveInt)
    .option('--early-stopping <n>', 'stop after N evaluations without improvement', parsePositiveInt)
    .option('--text-column <name>', 'the text column (default text, or text_a for pair)')
    .option('--text-pair-column <name>', 'the second text column for pair (default text_b)')
    .option('--label-column <name>', 'the label column', 'label')
    .option('--skip-bad', 'skip malformed rows (reported) instead of stopping')
    .option('--skip-nonfinite', 'skip (and count) a step whose loss or gradients are NaN/Inf instead of stopping')
    .option('--save-every <n>', 'save the resumable --out/last every N steps (default: every 5 minutes of work)', parsePositiveInt)
    .option('--resume', 'continue from --out/last')
    .option('--overwrite', 'start a new run in an --out that already holds a model (else refused)')
    .option('--dtype <type>', 'fp32, or bf16: mixed precision — linear layers in bfloat16 with float32 sums and float32 weights (needs AVX512_BF16; else fp32 with a notice)', parseDtype, 'fp32')
    .option('--threads <n>', 'threads the kernels use', parsePositiveInt)
    .option('--json', 'print the final summary as JSON on stdout')
    .option('--quiet', 'no progress')
    .addHelpText('after', `
Label names found in the training data go to config.json (id2label, label2id), so predict prints names.
Left out, --lr, --epochs, --batch-size and --warmup-ratio follow the model's size (encoder parameters,
embeddings excluded); the values chosen are printed and saved in report.html:
${FINETUNE_DEFAULTS.map((r) => `  ${r.name.padEnd(38)} lr ${r.lr.toExponential(0)}, ${r.epochs} epochs, batch ${r.batchSize}, warmup ${r.warmupRatio}`).join('\n')}
The output directory loads in HF's AutoModelForSequenceClassification.

Examples:
  $ bert-cli finetune --model out/sotu-mini --task classify --train data/spam/train.tsv --dev data/spam/test.tsv --out out/spam
  $ bert-cli finetune --model my-bert --task qa --train squad/train-v2.0.json --dev squad/dev-v2.0.json --out out/squad --epochs 2 --lr 3e-5
  $ bert-cli finetune --model my-bert --task pair --train mrpc/train.tsv --text-column sentence1 --text-pair-column sentence2 --out out/mrpc
`)
    .action((f: Flags) => runJob('finetune', { f }, { quiet: f.quiet }));
}

/** The command's work, in the job worker (bin/job.ts). */
export async function finetuneJob({ f }: { f: Flags }, ctx: JobContext): Promise<{ stopped: boolean }> {
  setThreads(f.threads);
  const progress = ctx.progress;
  const tok = Tokenizer.fromModelDir(f.resume ? `${f.out}/last` : f.model);
  const padId = tok.vocab.special('[PAD]');
  let labels: string[];
  let adapter: TaskAdapter<unknown>;
  let train: { examples: unknown[]; truncated: number; wordsCut?: number };
  let dev: { examples: unknown[]; truncated: number; wordsCut?: number } | null = null;
  const skipped: [string, (number | string)[]][] = [];
  // an explicit --max-length must fit the model's positions; the defaults shrink to fit a small model
  const positions = modelDirConfig(f.resume ? `${f.out}/last` : f.model).max_position_embeddings;
  if (f.maxLength !== undefined && f.maxLength > positions) throw new UsageError(`--max-length ${f.maxLength} is over the model's max_position_embeddings ${positions}`, { where: '--max-length' });
  const maxLength = f.maxLength ?? Math.min(positions, f.task === 'qa' ? QA_DEFAULTS.maxLength : 128);
  let extraConfig: Record<string, unknown> = {};
  if (f.task === 'qa') {
    const settings = { maxLength, docStride: f.docStride, maxQueryLength: f.maxQueryLength };
    const t = readQa(f.train, { skipBad: f.skipBad });
    const moved = (name: string, r: string[]) => r.length && progress.log(`${name}: ${plural(r.length, 'answer')} whose answer_start did not point at the answer text, moved to its nearest occurrence (first: ${r[0]})`);
    moved('train', t.relocated);
    labels = [];
    const enc = encodeQa(t.records, tok, settings);
    train = { examples: enc.features, truncated: 0 };
    skipped.push(['train', t.skipped.map((x) => x.where)]);
    // v2 when the training data has unanswerable questions: the model then learns to point at [CLS]
    const v2 = t.records.some((r) => !r.answers.length);
    const post = { maxAnswerLength: QA_DEFAULTS.maxAnswerLength, nBest: QA_DEFAULTS.nBest, v2, nullThreshold: QA_DEFAULTS.nullThreshold };
    let devRecords: typeof t.records = [];
    if (f.dev) {
      const d = readQa(f.dev, { skipBad: f.skipBad });
      moved('dev', d.relocated);
      devRecords = d.records;
      dev = { examples: encodeQa(d.records, tok, settings).features, truncated: 0 };
      skipped.push(['dev', d.skipped.map((x) => x.where)]);
    }
    adapter = qaAdapter(devRecords, padId, post) as TaskAdapter<unknown>;
    extraConfig = { bert_cli_task: 'qa', bert_cli_doc_stride: f.docStride, bert_cli_max_query_length: f.maxQueryLength, version_2_with_negative: v2 };
    progress.log(`qa: ${plural(t.records.length, 'question')} in ${plural(enc.features.length, 'window')} of ${maxLength} tokens${v2 ? ' (SQuAD v2: some have no answer)' : ''}`);
  } else if (f.task === 'tag') {
    const t = readTagged(f.train, { skipBad: f.skipBad });
    labels = tagNames(t.sentences);
    train = encodeTagged(t.sentences, tok, labels, maxLength);
    skipped.push(['train', t.skipped]);
    if (f.dev) {
      const d = readTagged(f.dev, { skipBad: f.skipBad });
      dev = encodeTagged(d.sentences, tok, labels, maxLength);
      skipped.push(['dev', d.skipped]);
    }
    adapter = taggingAdapter(labels, padId) as TaskAdapter<unknown>;
  } else if (f.task === 'choice') {
    const trainSrc = readRecords(f.train, { skipBad: f.skipBad });
    const enc = encodeChoices(trainSrc, tok, maxLength, true, f.labelColumn ?? 'label');
    labels = Array.from({ length: enc.choices }, (_, i) => `ending${i}`);
    train = enc;
    skipped.push(['train', trainSrc.skipped.map((x) => x.line)]);
    if (f.dev) {
      const devSrc = readRecords(f.dev, { skipBad: f.skipBad });
      dev = encodeChoices(devSrc, tok, maxLength, true, f.labelColumn ?? 'label');
      skipped.push(['dev', devSrc.skipped.map((x) => x.line)]);
    }
    adapter = choiceAdapter(padId) as TaskAdapter<unknown>;
  } else {
    const task = f.task as SequenceTask;
    const cols = { ...defaultColumns(task) };
    if (f.textColumn) cols.text = f.textColumn;
    if (f.textPairColumn) cols.pair = f.textPairColumn;
    if (f.labelColumn) cols.label = f.labelColumn;
    const trainSrc = readRecords(f.train, { skipBad: f.skipBad });
    labels = labelNames(trainSrc, task, cols.label);
    train = encodeExamples(trainSrc, tok, task, cols, labels, maxLength);
    skipped.push(['train', trainSrc.skipped.map((x) => x.line)]);
    if (f.dev) {
      const devSrc = readRecords(f.dev, { skipBad: f.skipBad });
      dev = encodeExamples(devSrc, tok, task, cols, labels, maxLength);
      skipped.push(['dev', devSrc.skipped.map((x) => x.line)]);
    }
    adapter = sequenceAdapter(task, labels, padId) as TaskAdapter<unknown>;
  }
  for (const [name, lines] of skipped) {
    if (lines.length) progress.log(`${name}: skipped ${plural(lines.length, 'malformed row')} (${typeof lines[0] === 'number' ? (lines.length === 1 ? 'line ' : 'lines ') : ''}${lines.slice(0, 10).join(', ')}${lines.length > 10 ? ', …' : ''})`);
  }
  const cutWords = (x: { wordsCut?: number }) => (x.wordsCut ? ` (${plural(x.wordsCut, 'word')} after the cut left out)` : '');
  if (train.truncated) progress.log(`train: ${train.truncated} of ${train.examples.length} examples cut to ${maxLength} tokens${cutWords(train)}`);
  if (dev?.truncated) progress.log(`dev: ${dev.truncated} of ${dev.examples.length} examples cut to ${maxLength} tokens${cutWords(dev)}`);
  if (!train.examples.length) throw new BertError('no training examples', { where: f.train });
  const baseConfig = modelDirConfig(f.resume ? `${f.out}/last` : f.model);
  const sized = finetuneDefaults(baseConfig, { lr: f.lr, epochs: f.epochs, batchSize: f.batchSize, warmupRatio: f.warmupRatio });
  const dropout = f.resume ? f.dropout : finetuneDropout(baseConfig, f.dropout); // a resumed run keeps its own
  if (dropout !== undefined && f.dropout === undefined) progress.log(`dropout ${dropout}: the model was pretrained without it; BERT fine-tunes with 0.1 (--dropout to change)`);
  const { lr, epochs, batchSize, warmupRatio } = sized.settings;
  if (sized.defaulted.length) progress.log(`settings for a ${sized.row} model: lr ${lr}, ${plural(epochs, 'epoch')}, batch ${batchSize}, warmup ratio ${warmupRatio}` +
    (sized.defaulted.length < 4 ? ` (${sized.defaulted.map(flagName).join(', ')} by size; the rest as given)` : ' (by size; each flag overrides)'));
  const t0 = Date.now();
  let devLine = '';
  let eta: Eta | null = null;
  const r = await finetune({
    modelDir: f.model, out: f.out, adapter, labelConfig: {
      ...(f.task === 'qa' ? extraConfig : f.task === 'tag' || f.task === 'choice'
        ? { ...labelConfig('classify', labels), problem_type: undefined, bert_cli_task: f.task }
        : labelConfig(f.task, labels)),
      ...(dropout !== undefined ? { hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout } : {}),
    },
    maxLength: maxLength, train: train.examples, dev: dev?.examples,
    epochs, lr, batchSize, warmupRatio, sizeDefaults: sized.defaulted.length ? { row: sized.row, flags: sized.defaulted.map(flagName) } : undefined, weightDecay: f.weightDecay, maxGradNorm: f.maxGradNorm,
    gradAccum: f.gradAccum, scheduler: f.scheduler, shuffle: f.shuffle, seed: f.seed, evalEvery: f.evalEvery, earlyStopping: f.earlyStopping,
    resume: f.resume, overwrite: f.overwrite, saveEvery: f.saveEvery, shouldStop: ctx.stopRequested, skipNonfinite: f.skipNonfinite, dtype: trainingDtype(f.dtype, (l) => progress.log(l)), task: f.task, labels: f.task === 'regression' || f.task === 'multilabel' || f.task === 'choice' || f.task === 'qa' ? undefined : labels,
    onStep: (s) => progress.update(`epoch ${s.epoch + 1}/${epochs}  step ${s.step}/${s.steps}  loss ${s.loss.toFixed(4)}  lr ${s.lr.toExponential(2)}  ${s.examplesPerSecond.toFixed(1)} ex/s  ${(eta ??= new Eta(s.steps)).text(s.step, s.elapsed)}${devLine}`),
    onEval: (e) => {
      const name = f.task === 'qa' ? 'F1' : f.task === 'regression' ? 'pearson' : f.task === 'multilabel' ? 'micro F1' : f.task === 'tag' ? (labels.some((l) => /^[BIES]-/.test(l)) ? 'entity F1' : 'token accuracy') : 'accuracy';
      devLine = `  | dev ${name} ${(100 * e.score).toFixed(2)}`;
      progress.log(`dev at step ${e.step}: loss ${e.loss.toFixed(4)}, ${name} ${(100 * e.score).toFixed(2)}%`);
    },
  }, tok);
  const secs = (Date.now() - t0) / 1000;
  progress.done(`${r.stopped ? 'stopped and saved' : 'fine-tuned'} ${f.out}: ${plural(r.steps, 'step')} in ${formatDuration(secs)}` + (r.best ? `, best dev score ${(100 * r.best.score).toFixed(2)}% at step ${r.best.step}` : '') +
    (r.skipped.length ? `; ${plural(r.skipped.length, 'step')} skipped for a non-finite loss or gradient` : ''), !r.stopped);
  if (f.json) ctx.print(JSON.stringify({ out: f.out, settings: sized.settings, steps: r.steps, seconds: secs, stopped: r.stopped, skippedSteps: r.skipped, best: r.best ? { step: r.best.step, score: r.best.score, loss: r.best.loss } : null }) + '\n');
  return { stopped: r.stopped };
}
