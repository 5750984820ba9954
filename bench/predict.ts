// End-to-end `bert-cli predict` on real e-mails: the SpamAssassin texts (subject + body, cut at
// 2,000 characters; varied lengths) repeated to 1,000 and to 10,000 lines, through the CLI as a
// user runs it (start-up, tokenizing, length-sorted batches with dynamic padding, JSON out). A mini
// classifier is built with BERT's init over the bert-base-uncased vocabulary: throughput does not
// depend on what the weights learned. Memory must not grow with the input: predict streams it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig, validateConfig } from '../lib/config.js';
import { spamAssassin } from '../lib/data/spam.js';
import { saveModelDir } from '../lib/io/model-dir.js';
import { BertForTask } from '../lib/model/bert.js';
import { Tokenizer } from '../lib/tokenizer/tokenizer.js';
import { Vocab } from '../lib/tokenizer/vocab.js';
import { bertBaseUncasedTokens } from '../test/helpers/bert-vocab.js';
import type { Row } from './table.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'bin', 'bert-cli.js');

/** Runs the CLI, sampling the child's peak RSS (VmHWM) until it exits. */
function run(args: string[]): Promise<{ seconds: number; peakMiB: number; code: number | null }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    let peak = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        // exited
      }
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
  for (const n of opts.quick ? [1000, 3000] : [1000, 10000]) {
    const input = join(dir, `emails-${n}.txt`);
    writeFileSync(input, Array.from({ length: n }, (_, i) => texts[i % texts.length]).join('\n') + '\n');
    const r = await run(['predict', '--model', model, input, '-o', join(dir, `out-${n}.jsonl`), '--quiet']);
    if (r.code !== 0) throw new Error(`predict exited with ${r.code}`);
    const lines = readFileSync(join(dir, `out-${n}.jsonl`), 'utf8').trim().split('\n').length;
    if (lines !== n) throw new Error(`predict wrote ${lines} lines for ${n}`);
    rows.push({ job: `predict mini, ${n} e-mails (max 128 tokens, batch 32)`, 'texts/s': n / r.seconds, seconds: r.seconds, 'peak RSS MiB': r.peakMiB });
    raw.push({ lines: n, ...r });
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
