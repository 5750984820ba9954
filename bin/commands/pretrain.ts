// bert-cli pretrain: MLM + NSP pretraining on plain text, from scratch or from a checkpoint.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig, PRESET_NAMES, presetConfig, validateConfig, type BertConfig, type PresetName } from '../../lib/config.js';
import { UsageError } from '../../lib/errors.js';
import { setThreads, trainingDtype } from '../../lib/engine.js';
import { parseDropout, parseDuration, parseTrainingDtype, parsePositiveNumber, parseNonNegativeInt, parsePositiveInt, parseProbability } from '../../lib/cli/options.js';
import { Eta, formatDuration, plural } from '../../lib/cli/progress.js';
import { expandCorpusPaths } from '../../lib/data/corpus.js';
import { DEFAULT_PRETRAIN_STEPS, DEFAULT_SHORT_RATIO, defaultShortLength, pretrain } from '../../lib/train/pretrain.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { trainWordPiece, WordCounter } from '../../lib/tokenizer/trainer.js';
import { modelDirConfig } from '../../lib/io/model-dir.js';
import { join } from 'node:path';
import { runJob } from '../job.js';
import type { JobContext } from '../job-worker.js';

interface PretrainFlags {
  out: string;
  config: string;
  vocab?: string;
  vocabSize?: number;
  init?: string;
  initMissing?: boolean;
  steps?: number;
  budget?: number;
  batchSize: number;
  maxLength: number;
  lr: number;
  warmup?: number;
  warmupRatio: number;
  maskProb: number;
  shortLength?: number;
  shortRatio: number;
  maxPredictions: number;
  skipNonfinite?: boolean;
  wholeWordMask?: boolean;
  nsp: boolean;
  dupeFactor: number;
  eval?: string[];
  evalEvery?: number;
  saveEvery?: number;
  resume?: boolean;
  overwrite?: boolean;
  seed: number;
  threads?: number;
  dtype: 'fp32' | 'bf16' | 'auto';
  dropout?: number;
  lowercase: boolean;
  quiet?: boolean;
  json?: boolean;
}

export function pretrainCommand(): Command {
  return new Command('pretrain')
    .description('pretrain BERT on plain text: masked language model (MLM) and next sentence prediction (NSP)')
    .argument('<files...>', 'corpus: text files or folders (.gz too), one sentence per line, a blank line between documents')
    .requiredOption('--out <dir>', 'the model directory to write (checkpoints, metrics.jsonl)')
    .option('--config <preset|file>', `size: ${PRESET_NAMES.join(', ')}, or a config.json`, 'mini')
    .option('--vocab <file>', 'a vocab.txt to use')
    .option('--vocab-size <n>', 'learn a WordPiece vocabulary of N tokens from the corpus first', parsePositiveInt)
    .option('--no-lowercase', 'a cased model (with --vocab-size)')
    .option('--init <dir>', 'continue pretraining from this checkpoint')
    .option('--init-missing', "with --init: initialise the encoder tensors the checkpoint lacks (else an error names the first)")
    .option('--steps <n>', `optimizer steps (default ${DEFAULT_PRETRAIN_STEPS}, or what --budget fits)`, parsePositiveInt)
    .option('--budget <duration>', 'train for this long (30m, 1h, 90s): the steps are planned from the measured pace, the schedule decays to zero at the last, and a clock stops the run on time', parseDuration)
    .option('--batch-size <n>', 'sequences per step', parsePositiveInt, 32)
    .option('--max-length <n>', 'tokens per sequence, [CLS] and [SEP] included', parsePositiveInt, 128)
    .option('--lr <x>', 'peak learning rate (default 5e-4, measured for small models; BERT-base used 1e-4)', parsePositiveNumber, 5e-4)
    .option('--warmup <n>', 'warmup steps (default: --warmup-ratio of the steps)', parseNonNegativeInt)
    .option('--warmup-ratio <x>', 'fraction of the steps spent warming up, when --warmup is not given', parseProbability, 0.01)
    .option('--dropout <p>', "hidden and attention dropout, written to config.json (default 0 from scratch, as Cramming — fine-tuning puts BERT's 0.1 back; with --init the checkpoint's)", parseDropout)
    .option('--short-length <n>', "BERT's length schedule: the first --short-ratio of the steps on sequences this long, the rest at --max-length (default: half of --max-length)", parsePositiveInt)
    .option('--short-ratio <x>', 'the fraction of the steps on short sequences (0: none, every step at --max-length)', parseProbability, DEFAULT_SHORT_RATIO)
    .option('--mask-prob <p>', 'fraction of tokens to predict', parseProbability, 0.15)
    .option('--max-predictions <n>', 'at most this many predictions per sequence', parsePositiveInt, 20)
    .option('--whole-word-mask', 'mask all ## pieces of a word together')
    .option('--no-nsp', 'MLM only, with full-length single segments')
    .option('--dupe-factor <n>', 'static masks: N fixed maskings cycled by epoch (0: new masks every epoch)', parseNonNegativeInt, 0)
    .option('--eval <files...>', 'held-out text: MLM accuracy, perplexity, NSP accuracy')
    .option('--eval-every <n>', 'evaluate every N steps', parsePositiveInt)
    .option('--save-every <n>', 'checkpoint every N steps', parsePositiveInt, 1000)
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--overwrite', 'start a new run in an --out that already holds a model (else refused)')
    .option('--skip-nonfinite', 'skip (and count) a step whose loss or gradients are NaN/Inf instead of stopping')
    .option('--seed <n>', 'seed for data, masks, dropout and initialisation', parseNonNegativeInt, 42)
    .option('--dtype <type>', 'auto: bf16 where the CPU has AVX512_BF16, else fp32; fp32; or bf16: mixed precision — linear layers in bfloat16 with float32 sums and float32 weights (else fp32 with a notice)', parseTrainingDtype, 'auto')
    .option('--threads <n>', 'threads the kernels use', parsePositiveInt)
    .option('--json', 'print the final summary as JSON on stdout')
    .option('--quiet', 'no progress')
    .addHelpText('after', `
The output is a model directory (config.json, vocab.txt, tokenizer_config.json, model.safetensors)
that finetune, predict, fill-mask and HuggingFace's BertForPreTraining load, with metrics.jsonl and
the training state beside it. Ctrl-C finishes the step, saves, and exits with 130; --resume goes on.

Examples:
  $ bert-cli dataset sotu --out data/sotu
  $ bert-cli pretrain data/sotu/train.txt --eval data/sotu/heldout.txt --vocab-size 8000 --config mini --steps 2000 --out out/sotu-mini
  $ bert-cli pretrain more-text/ --init out/sotu-mini --steps 500 --out out/domain
`)
    .action((files: string[], f: PretrainFlags) => runJob('pretrain', { files, f }, { quiet: f.quiet }));
}

/** The command's work, in the job worker (bin/job.ts). */
export async function pretrainJob({ files, f }: { files: string[]; f: PretrainFlags }, ctx: JobContext): Promise<{ stopped: boolean }> {
  setThreads(f.threads);
  if (f.budget !== undefined && f.steps !== undefined) throw new UsageError('give one of --steps N (exactly N steps) and --budget TIME (the steps that fit)', { where: '--budget' });
  const corpus = expandCorpusPaths(files);
  const progress = ctx.progress;
  let tokenizer: Tokenizer;
  if (f.resume || f.init) {
    const dir = f.resume ? f.out : f.init!;
    if (!existsSync(join(dir, 'vocab.txt'))) throw new UsageError(`${dir} has no vocab.txt`, { where: f.resume ? '--resume' : '--init' });
    tokenizer = Tokenizer.fromModelDir(dir);
  } else if (f.vocab && f.vocabSize) {
    throw new UsageError('give one of --vocab FILE (use this vocabulary) and --vocab-size N (learn one)', { where: '--vocab-size' });
  } else if (f.vocab) {
    tokenizer = Tokenizer.fromVocabFile(f.vocab, { lowercase: f.lowercase });
  } else if (f.vocabSize) {
    progress.update(`learning a ${f.vocabSize}-token WordPiece vocabulary…`, true);
    const counter = new WordCounter(f.lowercase);
    await counter.addFiles(corpus);
    tokenizer = new Tokenizer(trainWordPiece(counter.counts, { size: f.vocabSize }), { lowercase: f.lowercase });
    progress.log(`vocabulary: ${tokenizer.vocab.size} tokens from ${counter.counts.size} distinct words`);
  } else {
    throw new UsageError('give --vocab FILE or --vocab-size N (or --init/--resume with a model directory)');
  }
  let config: BertConfig;
  if (f.resume) config = modelDirConfig(f.out);
  else if (f.init) config = modelDirConfig(f.init);
  else if ((PRESET_NAMES as string[]).includes(f.config)) config = presetConfig(f.config as PresetName, tokenizer.vocab.size);
  else config = validateConfig({ ...loadConfig(f.config), vocab_size: tokenizer.vocab.size }, f.config);
  // from scratch, no dropout unless asked (README, "Pretraining on a budget"); --init keeps the checkpoint's
  const dropout = f.dropout ?? (f.resume || f.init ? undefined : 0);
  if (dropout !== undefined) {
    if (f.resume && (config.hidden_dropout_prob !== dropout || config.attention_probs_dropout_prob !== dropout)) {
      throw new UsageError(`the run in ${f.out} has dropout ${config.hidden_dropout_prob}; --resume goes on with it`, { where: '--dropout' });
    }
    config = { ...config, hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout };
  }
  if (f.maxLength > config.max_position_embeddings) {
    throw new UsageError(`--max-length ${f.maxLength} is over max_position_embeddings ${config.max_position_embeddings}`);
  }
  if (f.maxLength < (f.nsp ? 5 : 4)) throw new UsageError('--max-length is too small for [CLS] A [SEP] B [SEP]');
  const shortLength = f.shortRatio > 0 ? f.shortLength ?? defaultShortLength(f.maxLength) : undefined;
  if (shortLength !== undefined && (shortLength >= f.maxLength || shortLength < (f.nsp ? 5 : 4))) {
    throw new UsageError(`--short-length ${shortLength} must be below --max-length ${f.maxLength} and fit [CLS] A [SEP] B [SEP]`, { where: '--short-length' });
  }
  const t0 = Date.now();
  let evalLine = '';
  let eta: Eta | undefined;
  const result = await pretrain({
    files: corpus, out: f.out, config, tokenizer, init: f.init, initMissing: f.initMissing, resume: f.resume,
    onInitialized: (names) => progress.log(`initialised ${plural(names.length, 'tensor')} the checkpoint lacks: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`), overwrite: f.overwrite, steps: f.steps, batchSize: f.batchSize,
    lr: f.lr, warmup: f.warmup, warmupFraction: f.warmupRatio, budget: f.budget, seed: f.seed, evalFiles: f.eval ? expandCorpusPaths(f.eval) : undefined,
    evalEvery: f.evalEvery, saveEvery: f.saveEvery,
    onPlan: (p) => progress.log(`budget ${formatDuration(f.budget!)}: ${plural(p.steps, 'step')} fit at ${p.stepSeconds.toFixed(3)} s a step (${p.from === 'measured' ? `measured over the warmup's ${p.warmup} steps` : 'first estimate'})` +
      (p.evals ? ` and ${plural(p.evals, 'evaluation')} of ${p.evalSeconds.toFixed(1)} s` : '') + `; warmup ${p.warmup}, then linear decay to 0`),
    data: { maxLength: f.maxLength, shortSeqProb: 0.1, maskProb: f.maskProb, maxPredictions: f.maxPredictions, wholeWordMask: !!f.wholeWordMask, nsp: f.nsp, dupeFactor: f.dupeFactor },
    shortLength, shortRatio: f.shortRatio,
    shouldStop: ctx.stopRequested, skipNonfinite: f.skipNonfinite, dtype: trainingDtype(f.dtype, (l) => progress.log(l)),
    onStep: (s) => {
      progress.update(`step ${s.step}/${s.steps}  loss ${s.loss.toFixed(3)}  mlm acc ${(100 * s.mlmAccuracy).toFixed(1)}%` +
        (f.nsp ? `  nsp acc ${(100 * s.nspAccuracy).toFixed(0)}%` : '') + `  lr ${s.lr.toExponential(2)}  ${Math.round(s.tokensPerSecond)} tok/s  ${f.budget !== undefined ? `${formatDuration(Math.max(0, f.budget - (Date.now() - t0) / 1000))} left` : (eta ??= new Eta(s.steps)).text(s.step, s.elapsed)}${evalLine}`);
    },
    onEval: (e) => {
      evalLine = `  | held-out mlm ${(100 * e.mlmAccuracy).toFixed(1)}%` + (Number.isNaN(e.nspAccuracy) ? '' : ` nsp ${(100 * e.nspAccuracy).toFixed(1)}%`);
      progress.log(`eval at step ${e.step}: MLM accuracy ${(100 * e.mlmAccuracy).toFixed(2)}%, perplexity ${e.perplexity.toFixed(1)}` +
        (Number.isNaN(e.nspAccuracy) ? '' : `, NSP accuracy ${(100 * e.nspAccuracy).toFixed(2)}%`) +
        ` (${e.instances} held-out sequences; most-frequent-token baseline ${(100 * e.mlmBaseline).toFixed(1)}%` +
        (Number.isNaN(e.nspBaseline) ? ')' : `, majority NSP ${(100 * e.nspBaseline).toFixed(1)}%)`));
    },
  });
  const secs = (Date.now() - t0) / 1000;
  const summary = {
    out: f.out, steps: result.step, plannedSteps: result.steps, warmup: result.warmup, outOfTime: result.outOfTime, stopped: result.stopped, seconds: secs, finalLoss: result.losses[result.losses.length - 1] ?? null,
    eval: result.lastEval, skippedSteps: result.skipped,
  };
  progress.done(`${result.stopped ? 'stopped and saved' : 'pretrained'} ${f.out}: ${plural(result.step, 'step')} in ${formatDuration(secs)}` +
    (result.lastEval ? `, held-out MLM accuracy ${(100 * result.lastEval.mlmAccuracy).toFixed(1)}%` +
      (Number.isNaN(result.lastEval.nspAccuracy) ? '' : `, NSP ${(100 * result.lastEval.nspAccuracy).toFixed(1)}%`) : '') +
    (result.skipped.length ? `; ${plural(result.skipped.length, 'step')} skipped for a non-finite loss or gradient` : ''), !result.stopped);
  if (f.json) ctx.print(JSON.stringify(summary) + '\n');
  return { stopped: result.stopped };
}
