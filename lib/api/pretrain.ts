// Pretraining as a library call: `await pretrain({ files, out, vocabSize: 8000, budget: '30m' })`
// picks the vocabulary (a vocab.txt, one learned from the corpus, or the checkpoint's), the config (a
// preset, a config.json, or the checkpoint's) and the dropout, checks the lengths, and runs the
// pretraining loop (lib/train/pretrain.ts) with the defaults the README measured. `bert-cli
// pretrain` is this, parsed and printed.
import { assertResumeOrOverwrite } from '../train/out-dir.js';
import { PRETRAIN_RULES, RULES, validateRequest } from '../validate.js';
import { DEFAULTS } from '../defaults.js';
import { loadConfig, PRESET_NAMES, presetConfig, pretrainedLength, validateConfig, type BertConfig, type PresetName } from '../config.js';
import { expandCorpusPaths } from '../data/corpus.js';
import { setThreads, trainingDtype } from '../engine.js';
import { UsageError } from '../errors.js';
import { modelDirConfig } from '../model-dir/model-dir.js';
import type { Dtype } from '../model/encoder.js';
import { durationSeconds, formatDuration, plural } from '../report/format.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { trainWordPiece, WordCounter } from '../tokenizer/trainer.js';
import type { BudgetPlan } from '../train/budget.js';
import { communicator, threadsPerRank } from '../train/distributed.js';
import { DEFAULT_SHORT_RATIO, defaultShortLength, pretrainLoop, type EvalReport, type StepReport } from '../train/pretrain.js';

export interface PretrainRequest {
  /** text files or folders: one sentence a line, a blank line between documents */
  files: string[];
  out: string;
  /** a vocab.txt to use, or vocabSize to learn one from the corpus (not with init/resume) */
  vocab?: string;
  vocabSize?: number;
  /** default true: an uncased model */
  lowercase?: boolean;
  /** a preset (tiny, mini, small, medium, base, large) or a config.json; default mini */
  config?: PresetName | string;
  /** continue pretraining from this model directory's weights */
  init?: string;
  initMissing?: boolean;
  resume?: boolean;
  overwrite?: boolean;
  /** optimizer steps, or a budget ('30m', '1h30m', or seconds) whose steps are planned from the pace */
  steps?: number;
  budget?: number | string;
  batchSize?: number;
  maxLength?: number;
  lr?: number;
  warmup?: number;
  warmupRatio?: number;
  /** default 0 from scratch; with init the checkpoint's */
  dropout?: number;
  shortLength?: number;
  shortRatio?: number;
  maskProb?: number;
  maxPredictions?: number;
  wholeWordMask?: boolean;
  /** default true; false: MLM only */
  nsp?: boolean;
  dupeFactor?: number;
  /** held-out text for MLM accuracy, perplexity and NSP accuracy */
  eval?: string[];
  /** held-out evaluation every N steps (default: ten over the run), or 'end': once, at the end */
  evalEvery?: number | 'end';
  saveEvery?: number;
  seed?: number;
  dtype?: Dtype | 'auto';
  threads?: number;
  skipNonfinite?: boolean;
  signal?: AbortSignal;
  shouldStop?: () => boolean;
  onNotice?: (line: string) => void;
  /** notices that change what the run computes (a --dtype the CPU lacks, run as fp32); default onNotice */
  onWarning?: (line: string) => void;
  /** what the run is doing before its first step (learning the vocabulary …), for a status line */
  onProgress?: (text: string) => void;
  onPlan?: (p: BudgetPlan) => void;
  onStep?: (s: StepReport) => void;
  onEval?: (e: EvalReport) => void;
}

export interface PretrainResult {
  out: string;
  /** steps done (a resumed run's included), and planned */
  steps: number;
  /** steps this call took (steps − the resumed run's), in `seconds` */
  stepsThisRun: number;
  plannedSteps: number;
  warmup: number;
  /** the budget's clock ended it */
  outOfTime: boolean;
  /** the signal ended it; `resume: true` goes on */
  stopped: boolean;
  seconds: number;
  finalLoss: number | null;
  eval: EvalReport | null;
  skippedSteps: number[];
  /** what can have gone wrong though the run ended (NSP at its majority baseline, a budget that fit far fewer steps than planned) */
  warnings: string[];
}

async function tokenizerFor(r: PretrainRequest, corpus: string[], say: (l: string) => void): Promise<Tokenizer> {
  const lowercase = r.lowercase ?? true;
  if (r.resume || r.init) {
    const dir = r.resume ? r.out : r.init!;
    if (!Tokenizer.inModelDir(dir)) throw new UsageError(`${dir} has no tokenizer (tokenizer.json or vocab.txt)`, { where: r.resume ? '--resume' : '--init' });
    return Tokenizer.fromModelDir(dir);
  }
  if (r.vocab && r.vocabSize) throw new UsageError('give one of --vocab FILE (use this vocabulary) and --vocab-size N (learn one)', { where: '--vocab-size' });
  if (r.vocab) return Tokenizer.fromVocabFile(r.vocab, { lowercase });
  if (!r.vocabSize) throw new UsageError('give --vocab FILE or --vocab-size N (or --init/--resume with a model directory)');
  const counter = new WordCounter(lowercase);
  await counter.addFiles(corpus);
  const tok = new Tokenizer(trainWordPiece(counter.counts, { size: r.vocabSize }), { lowercase });
  say(`vocabulary: ${tok.vocab.size} tokens from ${counter.counts.size} distinct words`);
  return tok;
}

export async function pretrain(r: PretrainRequest): Promise<PretrainResult> {
  // under mpirun: this rank's place, and threads shared among the ranks on this machine
  const comm = communicator();
  validateRequest(r, PRETRAIN_RULES);
  if (r.evalEvery !== undefined && r.evalEvery !== 'end' && RULES.positiveInt(r.evalEvery)) throw new UsageError(`--eval-every: expected a positive integer or 'end', got ${String(r.evalEvery)}`);
  assertResumeOrOverwrite(r); // before anything of out/ is read (a missing last/ would be said first)
  setThreads(r.threads ?? threadsPerRank(comm));
  const say = r.onNotice ?? (() => {});
  const budget = r.budget === undefined ? undefined : durationSeconds(r.budget);
  if (budget !== undefined && r.steps !== undefined) throw new UsageError('give one of --steps N (exactly N steps) and --budget TIME (the steps that fit)', { where: '--budget' });
  const corpus = expandCorpusPaths(r.files);
  if (!r.resume && !r.init && r.vocabSize && !r.vocab) r.onProgress?.(`learning a ${r.vocabSize}-token WordPiece vocabulary…`);
  const tokenizer = await tokenizerFor(r, corpus, say);
  const preset = r.config ?? DEFAULTS.pretrain.config;
  let config: BertConfig;
  if (r.resume) config = modelDirConfig(r.out);
  else if (r.init) config = modelDirConfig(r.init);
  else if ((PRESET_NAMES as string[]).includes(preset)) config = presetConfig(preset as PresetName, tokenizer.vocab.size);
  else config = validateConfig({ ...loadConfig(preset), vocab_size: tokenizer.vocab.size }, preset);
  // from scratch, no dropout unless asked (README, "Pretraining on a budget"); init keeps the checkpoint's
  const dropout = r.dropout ?? (r.resume || r.init ? undefined : 0);
  if (dropout !== undefined) {
    if (r.resume && (config.hidden_dropout_prob !== dropout || config.attention_probs_dropout_prob !== dropout)) {
      throw new UsageError(`the run in ${r.out} has dropout ${config.hidden_dropout_prob}; --resume goes on with it`, { where: '--dropout' });
    }
    config = { ...config, hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout };
  }
  const maxLength = r.maxLength ?? DEFAULTS.pretrain.maxLength, nsp = r.nsp ?? true, shortRatio = r.shortRatio ?? DEFAULT_SHORT_RATIO;
  if (maxLength > config.max_position_embeddings) throw new UsageError(`--max-length ${maxLength} is over max_position_embeddings ${config.max_position_embeddings}`);
  if (maxLength < (nsp ? 5 : 4)) throw new UsageError('--max-length is too small for [CLS] A [SEP] B [SEP]');
  const shortLength = shortRatio > 0 ? r.shortLength ?? defaultShortLength(maxLength) : undefined;
  if (shortLength !== undefined && (shortLength >= maxLength || shortLength < (nsp ? 5 : 4))) {
    throw new UsageError(`--short-length ${shortLength} must be below --max-length ${maxLength} and fit [CLS] A [SEP] B [SEP]`, { where: '--short-length' });
  }
  // the longest sequences the positions are trained on: fine-tuning defaults to no more (finetune.ts)
  if (!r.resume) config = { ...config, bert_cli_pretrain_max_length: Math.max(maxLength, pretrainedLength(config) ?? 0) };
  const t0 = Date.now();
  const res = await pretrainLoop({
    files: corpus, out: r.out, config, tokenizer, init: r.init, initMissing: r.initMissing, resume: r.resume, overwrite: r.overwrite,
    onInitialized: (names) => say(`initialised ${plural(names.length, 'tensor')} the checkpoint lacks: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`),
    steps: r.steps, batchSize: r.batchSize ?? DEFAULTS.pretrain.batchSize, lr: r.lr ?? DEFAULTS.pretrain.lr, warmup: r.warmup, warmupFraction: r.warmupRatio ?? DEFAULTS.pretrain.warmupRatio, budget, seed: r.seed ?? DEFAULTS.seed,
    evalFiles: r.eval ? expandCorpusPaths(r.eval) : undefined, evalEvery: r.evalEvery, saveEvery: r.saveEvery ?? DEFAULTS.pretrain.saveEvery,
    onPlan: (p) => {
      say(`budget ${formatDuration(budget!)}: ${plural(p.steps, 'step')} fit at ${p.stepSeconds.toFixed(3)} s a step (${p.from === 'measured' ? `measured over the warmup's ${p.warmup} steps` : 'first estimate'})` +
        (p.evals ? ` and ${plural(p.evals, 'evaluation')} of ${p.evalSeconds.toFixed(1)} s` : '') + `; warmup ${p.warmup}, then linear decay to 0`);
      r.onPlan?.(p);
    },
    data: { maxLength, shortSeqProb: DEFAULTS.pretrain.shortSeqProb, maskProb: r.maskProb ?? DEFAULTS.pretrain.maskProb, maxPredictions: r.maxPredictions ?? DEFAULTS.pretrain.maxPredictions, wholeWordMask: !!r.wholeWordMask, nsp, dupeFactor: r.dupeFactor ?? DEFAULTS.pretrain.dupeFactor },
    shortLength, shortRatio,
    shouldStop: () => !!r.signal?.aborted || !!r.shouldStop?.(), skipNonfinite: r.skipNonfinite, dtype: trainingDtype(r.dtype ?? DEFAULTS.pretrain.dtype, r.onWarning ?? say),
    onStep: r.onStep, onEval: r.onEval, comm,
  });
  for (const w of res.warnings) say(`check: ${w}`);
  return {
    out: r.out, steps: res.step, stepsThisRun: res.step - res.firstStep, plannedSteps: res.steps, warmup: res.warmup, outOfTime: res.outOfTime, stopped: res.stopped, seconds: (Date.now() - t0) / 1000,
    finalLoss: res.losses[res.losses.length - 1] ?? null, eval: res.lastEval ?? null, skippedSteps: res.skipped, warnings: res.warnings,
  };
}
