// End-to-end `bert-cli predict` on real e-mails: the SpamAssassin texts (subject + body, cut at
// 2,000 characters; varied lengths) repeated to 1,000 and to 10,000 lines, through the CLI as a
// user runs it (start-up, tokenizing, length-sorted batches with dynamic padding, JSON out). A mini
// classifier is built with BERT's init over the bert-base-uncased vocabulary: throughput does not
// depend on what the weights learned. Memory must not grow with the input: predict streams it.
// Beside it, transformers.js's text-classification pipeline (npm @huggingface/transformers, which
// runs ONNX Runtime) on the same classifier exported to ONNX, the same e-mails, batch size, 128-token
// truncation and threads, end to end in a process of its own; their answers are compared too. They
// differ by up to ~1e-4 in probability on long e-mails: transformers.js truncates after adding
// [CLS]/[SEP], so a text cut at 128 tokens loses its final [SEP], which HF and bert-cli keep.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig, validateConfig } from '../lib/config.js';
import { spamAssassin } from '../lib/data/spam.js';
import { saveModelDir } from '../lib/model-dir/model-dir.js';
import { exportOnnx } from '../lib/io/onnx.js';
import { BertForTask } from '../lib/model/bert.js';
import { Tokenizer } from '../lib/tokenizer/tokenizer.js';
import { Vocab } from '../lib/tokenizer/vocab.js';
import { bertBaseUncasedTokens } from '../test/helpers/bert-vocab.js';
import { hfBertTokenizer } from '../test/helpers/hf-oracle.js';
import { native } from '../lib/native.js';
import type { Row } from './table.js';
import { vmHwmMiB } from './timing.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'bin', 'bert-cli.js');
// BERT_BENCH_BASELINE=/other/checkout: that build's CLI runs beside this one on the same inputs, in
// the same run (a change measured before and after, on one noisy machine)
const BASELINE = process.env.BERT_BENCH_BASELINE ? join(process.env.BERT_BENCH_BASELINE, 'dist', 'bin', 'bert-cli.js') : null;

/** Runs a Node script (the CLI unless named), sampling the child's peak RSS (VmHWM) until it exits. */
function run(args: string[], script = CLI): Promise<{ seconds: number; peakMiB: number; code: number | null }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    let peak = 0;
    const sample = () => {
      const m = vmHwmMiB(child.pid!);
      if (m > peak) peak = m;
    };
    const timer = setInterval(sample, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakMiB: peak, code });
    });
  });
}

export async function benchPredict(opts: { quick: boolean }): Promise<{ rows: Row[]; raw: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'bert-bench-predict-'));
  const vocab = new Vocab(bertBaseUncasedTokens());
  const cfg = validateConfig({ ...presetConfig('mini', vocab.size), id2label: { 0: 'ham', 1: 'spam' }, label2id: { ham: 0, spam: 1 }, bert_cli_task: 'classify' });
  const m = new BertForTask(cfg, 'BertForSequenceClassification');
  m.initialize(1);
  const model = join(dir, 'model');
  saveModelDir(model, m, new Tokenizer(vocab, { lowercase: true }));
  const texts = spamAssassin().map((x) => x.text);
  const rows: Row[] = [];
  const raw: unknown[] = [];
  const peer = await transformersJsModel(model, join(dir, 'tjs', 'spam-mini'));
  // transformers.js's q8: the int8 graph `bert-cli export --dtype int8` writes (ORT's quantize_dynamic layout)
  if (typeof peer !== 'string' && native.int8Supported()) writeFileSync(join(peer.dir, 'onnx', 'model_quantized.onnx'), exportOnnx(m, { int8: true }));
  const dtypes = ['fp32', ...(native.bf16Supported() ? ['bf16'] : []), ...(native.int8Supported() ? ['int8'] : [])];
  for (const n of opts.quick ? [1000, 3000] : [1000, 10000]) {
    const input = join(dir, `emails-${n}.txt`);
    writeFileSync(input, Array.from({ length: n }, (_, i) => texts[i % texts.length]).join('\n') + '\n');
    const mine: Record<string, { seconds: number }> = {};
    let ours: { label: string; scores: Record<string, number> }[] = [];
    for (const dtype of dtypes) {
      const r = await run(['predict', '--model', model, input, '-o', join(dir, `out-${n}-${dtype}.jsonl`), '--quiet', '--dtype', dtype]);
      if (r.code !== 0) throw new Error(`predict --dtype ${dtype} exited with ${r.code}`);
      const got = readFileSync(join(dir, `out-${n}-${dtype}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      if (got.length !== n) throw new Error(`predict wrote ${got.length} lines for ${n}`);
      if (dtype === 'fp32') ours = got;
      const changed = got.filter((g, i) => g.label !== ours[i].label).length;
      mine[dtype] = r;
      rows.push({ job: `predict mini --dtype ${dtype}, ${n} e-mails (max 128 tokens, batch 32)`, 'texts/s': n / r.seconds, seconds: r.seconds, 'peak RSS MiB': r.peakMiB, 'labels ≠ fp32': changed });
      raw.push({ lines: n, dtype, ...r, changed });
    }
    const r = mine.fp32;
    if (BASELINE) {
      const b = await run(['predict', '--model', model, input, '-o', join(dir, `base-${n}.jsonl`), '--quiet'], BASELINE);
      if (b.code !== 0) throw new Error(`the baseline's predict exited with ${b.code}`);
      const same = readFileSync(join(dir, `base-${n}.jsonl`), 'utf8').trim().split('\n').every((l, i) => JSON.parse(l).label === ours[i].label);
      rows.push({ job: `  baseline build (${process.env.BERT_BENCH_BASELINE}), same labels: ${same}`, 'texts/s': n / b.seconds, seconds: b.seconds, 'peak RSS MiB': b.peakMiB, 'bert-cli ÷ it (texts/s)': b.seconds / r.seconds });
      raw.push({ baseline: process.env.BERT_BENCH_BASELINE, lines: n, ...b, same });
    }
    if (typeof peer === 'string') {
      rows.push({ job: `transformers.js pipeline, ${n} e-mails`, 'texts/s': peer });
      continue;
    }
    let tjsFp32 = NaN;
    for (const tdtype of ['fp32', ...(mine.int8 ? ['q8'] : [])]) {
      const out = join(dir, `tjs-${n}-${tdtype}.jsonl`);
      const t = await run([peer.dir, input, out, '32', String(native.numThreads()), tdtype], join(import.meta.dirname, 'peers', 'transformers_js.mjs'));
      if (t.code !== 0) throw new Error(`transformers.js (${tdtype}) exited with ${t.code}`);
      const theirs = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { label: string; score: number });
      // the probability each side gives the label transformers.js picked (q8 beside our int8)
      const mineOut = tdtype === 'q8' ? readFileSync(join(dir, `out-${n}-int8.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : ours;
      let diff = 0;
      for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(mineOut[i].scores[theirs[i].label] - theirs[i].score));
      if (tdtype === 'fp32') tjsFp32 = t.seconds;
      const ratios: Row = tdtype === 'fp32'
        ? Object.fromEntries(dtypes.map((d) => [`bert-cli ${d} ÷ it`, t.seconds / mine[d].seconds]))
        : { 'bert-cli int8 ÷ it': t.seconds / mine.int8.seconds, 'it ÷ transformers.js fp32': tjsFp32 / t.seconds };
      rows.push({ job: `transformers.js pipeline (${tdtype}), ${n} e-mails`, 'texts/s': n / t.seconds, seconds: t.seconds, 'peak RSS MiB': t.peakMiB, ...ratios, 'max |Δ p|': diff.toExponential(1) });
      raw.push({ peer: 'transformers.js', dtype: tdtype, lines: n, ...t, diff });
    }
  }
  // cold start: the whole CLI answering one line with BERT-base (load, weights, first forward),
  // beside ONNX Runtime's session creation for the same model in the onnx section
  const base = new BertForTask(validateConfig({ ...presetConfig('base', vocab.size), id2label: { 0: 'ham', 1: 'spam' }, label2id: { ham: 0, spam: 1 }, bert_cli_task: 'classify' }), 'BertForSequenceClassification');
  base.initialize(1);
  saveModelDir(join(dir, 'base'), base, new Tokenizer(vocab, { lowercase: true }));
  const one = join(dir, 'one.txt');
  writeFileSync(one, texts[0] + '\n');
  const cold = [] as number[];
  for (let i = 0; i < 3; i++) cold.push((await run(['predict', '--model', join(dir, 'base'), one, '-o', join(dir, 'one.jsonl'), '--quiet'])).seconds);
  rows.push({ job: 'cold start: predict one e-mail with base (best of 3)', seconds: Math.min(...cold) });
  raw.push({ coldStartBase: cold });
  return { rows, raw };
}

/**
 * The classifier as transformers.js loads it from disk: config.json, tokenizer.json (HF tokenizers'
 * BertTokenizerFast set-up of the same vocab.txt, saved by the Rust library), a tokenizer_config.json
 * that truncates at 128 tokens, and onnx/model.onnx. Returns the directory, or why the peer is skipped.
 */
async function transformersJsModel(model: string, out: string): Promise<{ dir: string } | string> {
  try {
    createRequire(import.meta.url).resolve('@huggingface/transformers');
  } catch {
    return 'skipped (npm install @huggingface/transformers)';
  }
  if (!existsSync('/usr/bin/python3')) return 'skipped (no /usr/bin/python3, for the ONNX export)';
  mkdirSync(join(out, 'onnx'), { recursive: true });
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'peers', 'export_onnx.py'), model, join(out, 'onnx', 'model.onnx')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return /No module named 'torch'/.test(r.stderr ?? '') ? 'skipped (apt-get install python3-torch, for the export)' : `export failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
  copyFileSync(join(model, 'config.json'), join(out, 'config.json'));
  (await hfBertTokenizer(join(model, 'vocab.txt'), true)).save(join(out, 'tokenizer.json'));
  writeFileSync(join(out, 'tokenizer_config.json'), JSON.stringify({
    tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 128,
    pad_token: '[PAD]', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', mask_token: '[MASK]',
  }));
  return { dir: out };
}
