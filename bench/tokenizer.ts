// Tokenization throughput on the State of the Union text (10.7 MB, 63k sentences) with the
// bert-base-uncased vocabulary, beside HF tokenizers' Rust code through its npm binding
// (@anush008/tokenizers), both measured in this run. HF runs single-threaded (RAYON_NUM_THREADS=1,
// set before it loads), one call per line and encodeBatch over chunks of 1,000 lines; bert-cli
// in-process (one thread) and through its worker pool (the multi-core mode of `bert-cli tokenize`).
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { Tokenizer } from '../lib/tokenizer/tokenizer.js';
import { bertBaseUncasedVocabPath } from '../test/helpers/bert-vocab.js';
import { hfBertTokenizer } from '../test/helpers/hf-oracle.js';
import { sotuLines } from '../test/tokenizer/cases.js';
import type { Row } from './table.js';

const CHUNK = 1000;

async function seconds(f: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function best(rounds: number, f: () => Promise<unknown> | unknown): Promise<number> {
  let b = Infinity;
  for (let r = 0; r < rounds; r++) b = Math.min(b, await seconds(f));
  return b;
}

export async function benchTokenizer(opts: { quick: boolean }): Promise<{ rows: Row[]; raw: unknown }> {
  const lines = sotuLines(1e9);
  const bytes = Buffer.byteLength(lines.join('\n'));
  const vocab = bertBaseUncasedVocabPath();
  const ours = Tokenizer.fromVocabFile(vocab);
  let tokens = 0;
  for (const l of lines) tokens += ours.encode(l).ids.length;
  const rounds = opts.quick ? 1 : 3;
  const results: Record<string, number> = {};

  results['bert-cli, 1 thread (encode per line)'] = await best(rounds, () => {
    for (const l of lines) ours.encode(l);
  });

  // The pool lives in dist/ (worker threads need compiled JavaScript); `npm ci` builds it.
  try {
    const { TokenizerPool } = await import('../dist/lib/tokenizer/pool.js');
    const { Tokenizer: DistTokenizer } = await import('../dist/lib/tokenizer/tokenizer.js');
    const threads = cpus().length;
    const pool = new TokenizerPool(DistTokenizer.fromVocabFile(vocab), threads);
    const jsonOpts = { pair: false, offsets: false };
    const run = async () => {
      const jobs: Promise<string>[] = [];
      for (let i = 0; i < lines.length; i += CHUNK) jobs.push(pool.encode(lines.slice(i, i + CHUNK), jsonOpts));
      await Promise.all(jobs);
    };
    await run();
    results[`bert-cli, ${threads} worker threads (JSON Lines out)`] = await best(rounds, run);
    await pool.close();
  } catch (err) {
    results['bert-cli worker pool: skipped (' + (err as Error).message.split('\n')[0] + ')'] = NaN;
  }

  let peer = 'HF tokenizers (Rust, @anush008/tokenizers)';
  try {
    createRequire(import.meta.url).resolve('@anush008/tokenizers');
    const hf = await hfBertTokenizer(vocab, true);
    results['HF tokenizers, 1 thread, encode per line'] = await best(rounds, async () => {
      for (const l of lines) await hf.encode(l, null);
    });
    results['HF tokenizers, 1 thread, encodeBatch of 1,000'] = await best(rounds, async () => {
      for (let i = 0; i < lines.length; i += CHUNK) await hf.encodeBatch(lines.slice(i, i + CHUNK));
    });
  } catch (err) {
    peer = `skipped (${(err as Error).message.split('\n')[0]})`;
  }

  const hfBest = Math.min(
    results['HF tokenizers, 1 thread, encode per line'] ?? Infinity,
    results['HF tokenizers, 1 thread, encodeBatch of 1,000'] ?? Infinity,
  );
  const rows: Row[] = Object.entries(results).map(([name, s]) => ({
    tokenizer: name,
    'MB/s': Number.isFinite(s) ? bytes / s / 1e6 : 'n/a',
    'M tokens/s': Number.isFinite(s) ? tokens / s / 1e6 : 'n/a',
    'vs HF best 1-thread': Number.isFinite(s) && Number.isFinite(hfBest) ? hfBest / s : 'n/a',
  }));
  return { rows, raw: { bytes, tokens, lines: lines.length, seconds: results, peer } };
}
