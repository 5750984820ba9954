// bert-cli finetune: train every parameter of a pretrained BERT under a fresh head on labelled data
// (lib/api/finetune.ts does the work; this parses the flags and prints).
import { DEFAULT_MAX_LENGTH, DEFAULTS } from '../../lib/defaults.js';
import { Command, Option } from 'commander';
import { finetune, type FinetuneRequest } from '../../lib/api/finetune.js';
import { QA_DEFAULTS } from '../../lib/tasks/qa.js';
import { TASKS } from '../../lib/tasks/registry.js';
import { FINETUNE_DEFAULTS } from '../../lib/train/finetune-defaults.js';
import { Eta, formatDuration, plural } from '../progress.js';
import type { JobContext } from '../job.js';
import { runJob } from '../job.js';
import { columnOptions, columnsOf, parseTask, parseDropout, parseFinetuneDtype, parseNonNegativeInt, parseNonNegativeNumber, parsePositiveInt, parsePositiveNumber, parseProbability, THREADS_HELP } from '../options.js';

type Flags = Omit<FinetuneRequest, 'columns' | 'qa' | 'onNotice' | 'onStep' | 'onEval'> & { docStride?: number; maxQueryLength?: number; textColumn?: string; textPairColumn?: string; labelColumn?: string; quiet?: boolean; json?: boolean };

export function finetuneCommand(): Command {
  const c = new Command('finetune')
    .description('fine-tune a pretrained BERT (every parameter, a fresh head) on labelled data')
    .requiredOption('--model <dir>', 'the pretrained model directory')
    .addOption(new Option('--task <task>', TASKS.join(' | ')).argParser(parseTask).makeOptionMandatory())
    .requiredOption('--train <file>', 'training data: .tsv, .csv (with a header) or .jsonl; for tag CoNLL (token … tag per line) or .jsonl {words, tags}; for qa SQuAD JSON or .jsonl {question, context, answers}')
    .option('--dev <file>', 'dev data: evaluated after each epoch; the best model is kept')
    .requiredOption('--out <dir>', 'the fine-tuned model directory to write')
    .option('--epochs <n>', "passes over the training data (default: by the model's size, see below)", parsePositiveInt)
    .option('--lr <x>', "peak learning rate (default: by the model's size)", parsePositiveNumber)
    .option('--batch-size <n>', "examples per batch (default: by the model's size)", parsePositiveInt)
    .option('--dropout <p>', "hidden and attention dropout for fine-tuning (default: the model's config.json)", parseDropout)
    .option('--max-length <n>', `tokens per example ([CLS]/[SEP] included); longer ones are truncated and counted (default ${DEFAULT_MAX_LENGTH}, ${DEFAULTS.qa.maxLength} for qa; no more than the model was pretrained on)`, parsePositiveInt)
    .option('--doc-stride <n>', `qa: context tokens shared by consecutive windows of a long context (default ${QA_DEFAULTS.docStride} at ${QA_DEFAULTS.maxLength} tokens, a quarter of shorter windows)`, parsePositiveInt)
    .option('--max-query-length <n>', `qa: question tokens kept (default ${QA_DEFAULTS.maxQueryLength}, three eighths of windows under ${QA_DEFAULTS.maxLength})`, parsePositiveInt)
    .option('--warmup-ratio <x>', "fraction of the steps spent warming up (default: by the model's size)", parseProbability)
    .option('--weight-decay <x>', 'AdamW weight decay (not on biases and LayerNorm)', parseNonNegativeNumber, DEFAULTS.finetune.weightDecay)
    .option('--max-grad-norm <x>', 'clip the global gradient norm (0: no clipping)', parseNonNegativeNumber, DEFAULTS.finetune.maxGradNorm)
    .option('--grad-accum <n>', 'batches per optimizer step', parsePositiveInt, DEFAULTS.finetune.gradAccum)
    .addOption(new Option('--scheduler <kind>', 'learning-rate schedule after warmup').choices(['linear', 'constant']).default(DEFAULTS.finetune.scheduler))
    .option('--no-shuffle', 'keep the training order')
    .option('--seed <n>', 'seed for the head, the order and dropout', parseNonNegativeInt, DEFAULTS.seed)
    .option('--eval-every <n>', 'also evaluate on --dev every N steps', parsePositiveInt)
    .option('--early-stopping <n>', 'stop after N evaluations without improvement', parsePositiveInt)
    .option('--label-all-tokens', "tag: train every word piece on its word's tag (HF's label_all_tokens; B- as I- on later pieces) — for runtimes that aggregate every token's label, such as transformers.js's token-classification pipeline");
  return columnOptions(c, { label: true })
    .option('--skip-bad', 'skip malformed rows (reported) instead of stopping')
    .option('--skip-nonfinite', 'skip (and count) a step whose loss or gradients are NaN/Inf instead of stopping')
    .option('--save-every <n>', 'save the resumable --out/last every N steps (default: every 5 minutes of work)', parsePositiveInt)
    .option('--resume', 'continue from --out/last')
    .option('--overwrite', 'start a new run in an --out that already holds a model (else refused)')
    .option('--dtype <type>', 'fp32, or bf16: mixed precision — linear layers in bfloat16 with float32 sums and float32 weights (needs AVX512_BF16; else fp32 with a notice)', parseFinetuneDtype, DEFAULTS.finetune.dtype)
    .option('--threads <n>', THREADS_HELP, parsePositiveInt)
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
  const { progress } = ctx;
  let devLine = '', epochs = f.epochs ?? 0;
  let eta: Eta | null = null;
  const r = await finetune({
    ...f, columns: columnsOf(f), qa: { docStride: f.docStride, maxQueryLength: f.maxQueryLength }, shouldStop: ctx.stopRequested,
    onNotice: (l) => progress.log(l),
    onWarning: (l) => progress.warn(l),
    onStep: (s) => {
      epochs = s.epochs;
      progress.update(`epoch ${s.epoch + 1}/${s.epochs}  step ${s.step}/${s.steps}  loss ${s.loss.toFixed(4)}  lr ${s.lr.toExponential(2)}  ${s.examplesPerSecond.toFixed(1)} ex/s  ${(eta ??= new Eta(s.steps)).text(s.step, s.elapsed)}${devLine}`);
    },
    onEval: (e) => {
      devLine = `  | dev ${e.metric} ${(100 * e.score).toFixed(2)}`;
      progress.log(`dev ${e.endOfEpoch ? `after epoch ${e.epoch + 1}/${epochs}` : `at step ${e.step}`}: loss ${e.loss.toFixed(4)}, ${e.metric} ${(100 * e.score).toFixed(2)}%`);
      // the epoch that follows is the one the line is about now, before its first step is done
      if (e.endOfEpoch && e.epoch + 1 < epochs) progress.update(`epoch ${e.epoch + 2}/${epochs}  starting${devLine}`, true);
    },
  });
  progress.done(`${r.stopped ? 'stopped and saved' : 'fine-tuned'} ${f.out}: ${r.stepsThisRun === r.steps ? plural(r.steps, 'step') : `${plural(r.stepsThisRun, 'step')} (${r.steps} in all)`} in ${formatDuration(r.seconds)}` + (r.best ? `, best dev score ${(100 * r.best.score).toFixed(2)}% at step ${r.best.step}` : '') +
    (r.skippedSteps.length ? `; ${plural(r.skippedSteps.length, 'step')} skipped for a non-finite loss or gradient` : ''), !r.stopped);
  if (f.json) ctx.print(JSON.stringify({ out: r.out, settings: r.settings, steps: r.steps, seconds: r.seconds, stopped: r.stopped, endedBy: r.endedBy, skippedSteps: r.skippedSteps, best: r.best }) + '\n');
  return { stopped: r.stopped };
}
