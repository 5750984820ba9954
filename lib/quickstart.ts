// The whole course on bundled real data, offline, as `bert-cli quickstart` runs it: learn a WordPiece
// vocabulary and pretrain a small BERT (MLM + NSP, on a time budget) on the State of the Union
// addresses and the training e-mails' own text, fine-tune it to tell spam from ham on SpamAssassin
// e-mails with the settings its size calls for, evaluate on held-out e-mails beside bag-of-words
// baselines, predict a few e-mails and fill a [MASK]. Each stage leaves ordinary files (data as the
// other commands read it, model directories) and a record in quickstart.json, so a rerun with the same
// settings skips what is finished and resumes a pretraining run that was stopped.
import { DEFAULTS } from './defaults.js';
import { DEFAULT_PRETRAINING } from './train/pretraining-data.js';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig } from './config.js';
import { Eta, formatDuration, type ProgressSink } from './report/format.js';
import { sotuSplit, toPretrainingText } from './data/sotu.js';
import { requireCorpora } from './data/corpora.js';
import { spamSplit, toTsv, type LabelledText } from './data/spam.js';
import { committedPath, writeFileAtomic } from './io/atomic.js';
import type { FillCandidate } from './model/fill-mask.js';
import { logisticRegression, naiveBayes } from './tasks/baseline.js';
import { classificationMetrics, type ClassificationMetrics } from './tasks/metrics.js';
import { readRecords } from './tasks/records.js';
import { Tokenizer } from './tokenizer/tokenizer.js';
import { trainWordPiece, WordCounter } from './tokenizer/trainer.js';
import { finetune } from './api/finetune.js';
import { loadModel, type ClassPrediction } from './api/model.js';
import { finetuneDefaults } from './train/finetune-defaults.js';
import { trainingDtype } from './engine.js';
import { pretrainingText } from './data/sentences.js';
import { DEFAULT_SHORT_RATIO, defaultShortLength, pretrainLoop as pretrain } from './train/pretrain.js';

export interface QuickstartOptions {
  out: string;
  /** a smoke test of every stage in about a minute: fewer steps, fewer e-mails, shorter inputs */
  fast?: boolean;
  seed?: number;
  progress: ProgressSink;
  /** the stages' figures (standard output) */
  print: (text: string) => void;
  shouldStop?: () => boolean;
}

/**
 * The settings of each stage; a stage is redone when its settings change. The pretraining recipe is
 * pretrain's small-budget one (README, "Pretraining on a budget"); fine-tuning leaves lr, epochs and
 * batch to the model's size (finetune-defaults.ts) but for --fast, which only has to run.
 */
export function quickstartPlan(fast: boolean) {
  return fast
    ? { vocabSize: 4000, preset: 'tiny' as const, pretrainBudget: 20, pretrainLength: 64, pretrainBatch: 32, pretrainLr: 1e-3,
        spamTrain: 1500, spamTest: 300, finetuneLength: 64, finetune: { epochs: 3, lr: 5e-4, batchSize: 16 } }
    : { vocabSize: 8000, preset: 'mini' as const, pretrainBudget: 300, pretrainLength: 128, pretrainBatch: 32, pretrainLr: 5e-4,
        spamTrain: Infinity, spamTest: Infinity, finetuneLength: 128, finetune: {} };
}

export interface QuickstartResult {
  stopped: boolean;
  seconds: number;
  heldOut?: { mlmAccuracy: number; mlmBaseline: number; nspAccuracy: number; nspBaseline: number };
  test?: { bert: Scores; naiveBayes: Scores; logisticRegression: Scores; count: number };
  samples?: { text: string; gold: string; label: string; score: number }[];
  fillMask?: { text: string; candidates: FillCandidate[] };
}

interface Scores { accuracy: number; spamF1: number }

/** Every k-th item, so a subset keeps the mix of the whole. */
function spread<T>(xs: T[], n: number): T[] {
  if (n >= xs.length) return xs;
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const scores = (m: ClassificationMetrics): Scores => ({ accuracy: m.accuracy, spamF1: m.per_class.spam?.f1 ?? 0 });

export const FILL_MASK_TEXT = 'Government [MASK] the people, by the people, for the people.';

export async function quickstart(o: QuickstartOptions): Promise<QuickstartResult> {
  const t0 = Date.now();
  const plan = quickstartPlan(!!o.fast);
  const seed = o.seed ?? DEFAULTS.seed;
  const { out, progress, print } = o;
  // both corpora, checked before any work: one line names the install for whatever is missing
  requireCorpora(['sotu', 'spam']);
  mkdirSync(out, { recursive: true });
  const recordPath = join(out, 'quickstart.json');
  const record: { stages: Record<string, { settings: string; figures?: unknown }> } = existsSync(recordPath)
    ? JSON.parse(readFileSync(recordPath, 'utf8'))
    : { stages: {} };
  const saveRecord = () => writeFileAtomic(recordPath, [JSON.stringify(record, null, 2) + '\n']);
  /** A stage is reused when its settings are unchanged and its files are there. */
  const finished = (name: string, settings: unknown, files: string[]) =>
    record.stages[name]?.settings === JSON.stringify(settings) && files.every((f) => existsSync(join(out, f)));
  const finish = (name: string, settings: unknown, figures?: unknown) => {
    record.stages[name] = { settings: JSON.stringify(settings), figures };
    saveRecord();
  };
  const result: QuickstartResult = { stopped: false, seconds: 0 };
  // the spinner always names the stage at work, never the last figure of the one before
  const stage = (n: number, text: string) => {
    print(`\n[${n}/7] ${text}\n`);
    progress.update(`[${n}/7] ${text.split(':')[0]}…`);
  };

  // 1. data
  const dataSettings = { spamTrain: plan.spamTrain, spamTest: plan.spamTest, devEvery: 10 };
  stage(1, 'Data: State of the Union addresses (pretraining) and SpamAssassin e-mails (spam/ham)');
  const files = ['data/sotu/train.txt', 'data/sotu/heldout.txt', 'data/spam/train.tsv', 'data/spam/test.tsv', 'data/spam/dev.tsv', 'data/spam/train.txt', 'data/spam/heldout.txt'];
  if (finished('data', dataSettings, files)) {
    print('      reusing data/ from an earlier run\n');
  } else {
    progress.update('reading the corpora…', true);
    mkdirSync(join(out, 'data/sotu'), { recursive: true });
    mkdirSync(join(out, 'data/spam'), { recursive: true });
    const { train, heldOut } = sotuSplit();
    writeFileAtomic(join(out, files[0]), [toPretrainingText(train)]);
    writeFileAtomic(join(out, files[1]), [toPretrainingText(heldOut)]);
    const spam = spamSplit();
    // every 10th training e-mail is the dev set that picks the kept checkpoint; test stays unseen until stage 5
    const pool = spread(spam.train, plan.spamTrain), spamTest = spread(spam.test, plan.spamTest);
    const spamTrain = pool.filter((_, i) => i % 10 !== 9), spamDev = pool.filter((_, i) => i % 10 === 9);
    writeFileAtomic(join(out, files[2]), [toTsv(spamTrain)]);
    writeFileAtomic(join(out, files[3]), [toTsv(spamTest)]);
    writeFileAtomic(join(out, files[4]), [toTsv(spamDev)]);
    // the training e-mails' text to pretrain on (in-domain), the test e-mails' to measure held-out MLM on
    writeFileAtomic(join(out, files[5]), [pretrainingText(spamTrain.map((x) => x.text))]);
    writeFileAtomic(join(out, files[6]), [pretrainingText(spamTest.map((x) => x.text))]);
    const count = (xs: LabelledText[]) => `${xs.length} (${xs.filter((x) => x.label === 'spam').length} spam)`;
    finish('data', dataSettings, { sotu: { train: train.length, heldOut: heldOut.length }, spam: { train: spamTrain.length, dev: spamDev.length, test: spamTest.length } });
    print(`      ${train.length} addresses to pretrain on, ${heldOut.length} held out; e-mails: ${count(spamTrain)} to train, ${count(spamDev)} to pick the checkpoint by, ${count(spamTest)} to test\n`);
  }

  // 2. vocabulary
  const vocabSettings = { size: plan.vocabSize, data: dataSettings };
  stage(2, `WordPiece: a ${plan.vocabSize}-token uncased vocabulary learned from the addresses and the training e-mails`);
  let tok: Tokenizer;
  if (finished('vocab', vocabSettings, ['vocab.txt'])) {
    tok = Tokenizer.fromVocabFile(join(out, 'vocab.txt'), { lowercase: true });
    print(`      reusing vocab.txt (${tok.vocab.size} tokens)\n`);
  } else {
    progress.update('counting words…', true);
    const counter = new WordCounter(true);
    await counter.addFiles([join(out, files[0]), join(out, files[5])]);
    const vocab = trainWordPiece(counter.counts, { size: plan.vocabSize, lowercase: true });
    writeFileAtomic(join(out, 'vocab.txt'), [vocab.toText()]);
    tok = new Tokenizer(vocab, { lowercase: true });
    finish('vocab', vocabSettings);
    const sample = tok.encode('The Congress shall make no law respecting an establishment of religion.', null).tokens;
    print(`      ${vocab.size} tokens from ${counter.counts.size} distinct words; e.g. ${sample.join(' ')}\n`);
  }

  // 3. pretraining
  const cfg = presetConfig(plan.preset, tok.vocab.size);
  const ptSettings = { preset: plan.preset, budget: plan.pretrainBudget, length: plan.pretrainLength, batch: plan.pretrainBatch, lr: plan.pretrainLr, seed, vocab: vocabSettings };
  const ptDir = join(out, 'pretrained');
  stage(3, `Pretraining a ${plan.preset} BERT (${cfg.num_hidden_layers} layers, ${cfg.hidden_size} hidden, ${cfg.num_attention_heads} heads) ` +
    `with MLM + NSP on the addresses and the training e-mails: ${formatDuration(plan.pretrainBudget)} of ${plan.pretrainBatch} sequences a step, ${plan.pretrainLength / 2} tokens then ${plan.pretrainLength}`);
  if (finished('pretrain', ptSettings, ['pretrained/model.safetensors'])) {
    result.heldOut = record.stages.pretrain.figures as QuickstartResult['heldOut'];
    print(`      reusing pretrained/ (held-out MLM accuracy ${pct(result.heldOut!.mlmAccuracy)}, NSP ${pct(result.heldOut!.nspAccuracy)})\n`);
  } else {
    const started = record.stages['pretrain-started']?.settings === JSON.stringify(ptSettings) && existsSync(join(ptDir, 'training_state.json'));
    const ptStart = Date.now();
    // a resumed run's budget has already been partly spent: the time left counts from the saved clock
    const spent = started ? Number(JSON.parse(readFileSync(committedPath(ptDir, 'training_state.json'), 'utf8')).elapsed ?? 0) : 0;
    if (started) print('      resuming the stopped run in pretrained/\n');
    else finish('pretrain-started', ptSettings);
    const r = await pretrain({
      files: [join(out, files[0]), join(out, files[5])], out: ptDir, config: { ...cfg, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }, tokenizer: tok,
      resume: started, overwrite: !started, budget: plan.pretrainBudget, batchSize: plan.pretrainBatch, lr: plan.pretrainLr, warmupFraction: 0.01, seed,
      shortLength: defaultShortLength(plan.pretrainLength), shortRatio: DEFAULT_SHORT_RATIO, // pretrain's defaults
      dtype: trainingDtype('auto', () => undefined),
      evalFiles: [join(out, files[1]), join(out, files[6])], evalEvery: 'end', evalBatches: 20, saveEvery: 200,
      data: { ...DEFAULT_PRETRAINING, maxLength: plan.pretrainLength, maxPredictions: Math.round(plan.pretrainLength * DEFAULT_PRETRAINING.maskProb) },
      shouldStop: o.shouldStop,
      onStep: (s) => progress.update(`pretraining: step ${s.step}/${s.steps}  loss ${s.loss.toFixed(3)}  MLM acc ${pct(s.mlmAccuracy)}  NSP acc ${pct(s.nspAccuracy)}  ${Math.round(s.tokensPerSecond)} tok/s  ${formatDuration(Math.max(0, plan.pretrainBudget - spent - (Date.now() - ptStart) / 1000))} left`),
    });
    if (r.stopped) return { ...result, stopped: true, seconds: (Date.now() - t0) / 1000 };
    const e = r.lastEval!;
    result.heldOut = { mlmAccuracy: e.mlmAccuracy, mlmBaseline: e.mlmBaseline, nspAccuracy: e.nspAccuracy, nspBaseline: e.nspBaseline };
    finish('pretrain', ptSettings, result.heldOut);
    print(`      ${r.step} steps in ${formatDuration((Date.now() - ptStart) / 1000)}; on ${e.instances} held-out sequences: MLM accuracy ${pct(e.mlmAccuracy)} ` +
      `(most-frequent-token baseline ${pct(e.mlmBaseline)}), perplexity ${e.perplexity.toFixed(0)}, NSP accuracy ${pct(e.nspAccuracy)} (majority ${pct(e.nspBaseline)})\n`);
    for (const w of r.warnings) print(`      check: ${w}\n`);
  }

  // 4. fine-tuning
  const ft = finetuneDefaults(cfg, plan.finetune).settings;
  const ftSettings = { ...ft, length: plan.finetuneLength, seed, pretrained: ptSettings, data: dataSettings };
  const ftDir = join(out, 'spam');
  const [trainFile, testFile, devFile] = [files[2], files[3], files[4]].map((f) => join(out, f));
  const trainSrc = readRecords(trainFile), testSrc = readRecords(testFile);
  stage(4, `Fine-tuning every parameter under a new classifier: spam or ham, ${trainSrc.rows.length} e-mails, ` +
    `${ft.epochs} epoch${ft.epochs > 1 ? 's' : ''} at lr ${ft.lr} (the settings for its size), first ${plan.finetuneLength} tokens of each`);
  const ftStart = Date.now();
  let ftEta: Eta | null = null;
  if (finished('finetune', ftSettings, ['spam/model.safetensors'])) {
    print('      reusing spam/\n');
  } else {
    const r = await finetune({
      model: ptDir, task: 'classify', train: trainFile, dev: devFile, out: ftDir, overwrite: true, maxLength: plan.finetuneLength, ...ft,
      dropout: 0.1, dtype: 'auto', seed, shouldStop: o.shouldStop,
      onStep: (s) => progress.update(`fine-tuning: epoch ${s.epoch + 1}/${ft.epochs}  step ${s.step}/${s.steps}  loss ${s.loss.toFixed(4)}  ${s.examplesPerSecond.toFixed(0)} e-mails/s  ${(ftEta ??= new Eta(s.steps)).text(s.step, s.elapsed)}`),
      onEval: (e) => print(`      after epoch ${e.epoch + 1}: dev accuracy ${pct(e.score)}\n`),
    });
    if (r.stopped) return { ...result, stopped: true, seconds: (Date.now() - t0) / 1000 };
    finish('finetune', ftSettings);
    print(`      ${r.steps} steps in ${formatDuration((Date.now() - ftStart) / 1000)}\n`);
  }

  // 5. evaluation beside bag-of-words baselines
  stage(5, `Evaluating on ${testSrc.rows.length} held-out e-mails, beside bag-of-words baselines trained on the same e-mails`);
  progress.update('evaluating…', true);
  const model = await loadModel(ftDir);
  const labels = model.labels;
  const bert = (await model.evaluate(testFile)).metrics as unknown as ClassificationMetrics;
  const asIds = (src: typeof trainSrc) => src.rows.map((r) => ({ text: String(r.text), label: labels.indexOf(String(r.label)) }));
  const gold = asIds(testSrc).map((x) => x.label);
  const nb = naiveBayes(asIds(trainSrc), labels.length), lr = logisticRegression(asIds(trainSrc));
  const texts = testSrc.rows.map((r) => String(r.text));
  result.test = {
    bert: scores(bert), count: gold.length,
    naiveBayes: scores(classificationMetrics(gold, texts.map(nb), labels)),
    logisticRegression: scores(classificationMetrics(gold, texts.map(lr), labels)),
  };
  finish('eval', ftSettings, result.test);
  const row = (name: string, s: Scores) => `      ${name.padEnd(28)} ${pct(s.accuracy).padStart(8)} ${s.spamF1.toFixed(3).padStart(9)}\n`;
  print(`      ${'model'.padEnd(28)} ${'accuracy'.padStart(8)} ${'spam F1'.padStart(9)}\n` + row('bert-cli (this run)', result.test.bert) +
    row('naive Bayes (words)', result.test.naiveBayes) + row('logistic regression (words)', result.test.logisticRegression));

  // 6. predictions on a few held-out e-mails
  stage(6, 'Predicting a few held-out e-mails');
  const picks = [...testSrc.rows.keys()].filter((i) => testSrc.rows[i].label === 'spam').slice(0, 3)
    .concat([...testSrc.rows.keys()].filter((i) => testSrc.rows[i].label === 'ham').slice(0, 3));
  const preds = await model.predict<ClassPrediction>(picks.map((i) => texts[i]), { maxLength: plan.finetuneLength, batchSize: 8 });
  result.samples = picks.map((i, k) => ({ text: texts[i], gold: String(testSrc.rows[i].label), label: preds[k].label, score: preds[k].score }));
  for (const s of result.samples) {
    const t = s.text.length > 70 ? s.text.slice(0, 69) + '…' : s.text;
    print(`      ${s.label.padEnd(4)} ${s.score.toFixed(3)}  (is ${s.gold.padEnd(4)})  ${t}\n`);
  }

  // 7. the MLM head at work
  stage(7, 'Filling a [MASK] with the pretrained model');
  const candidates = (await (await loadModel(ptDir)).fillMask(FILL_MASK_TEXT, { topK: 5 }))[0];
  result.fillMask = { text: FILL_MASK_TEXT, candidates };
  print(`      ${FILL_MASK_TEXT}\n` + candidates.map((c) => `      ${c.score.toFixed(3)}  ${c.token_str}\n`).join(''));

  result.seconds = (Date.now() - t0) / 1000;
  writeFileAtomic(join(out, 'summary.json'), [JSON.stringify(result, null, 2) + '\n']);
  print(`\nDone in ${formatDuration(result.seconds)}. Try:\n` +
    `  npx bert-cli predict --model ${ftDir} ${join(out, files[3])} | head -3\n` +
    `  npx bert-cli eval --model ${ftDir} ${join(out, files[3])}\n` +
    `  npx bert-cli fill-mask --model ${ptDir} "${FILL_MASK_TEXT}"\n` +
    `Training reports: ${join(ptDir, 'report.html')}, ${join(ftDir, 'report.html')}\n`);
  return result;
}
