// `bert-cli serve` under load (autocannon, in this process) beside the peer a Node team writes today:
// a fastify server calling transformers.js's feature-extraction pipeline once per request, on the
// same model exported by `bert-cli export --encoder` (fp32 and q8). One real e-mail per request
// (SpamAssassin, 128 tokens at most on both sides), POST /v1/embeddings at concurrency 1, 8 and 64;
// texts/s, p50/p99 latency, peak RSS of the server, and from /metrics the mean batch size and padded
// tokens per forward pass. Then a soak at ~80% of the measured capacity (RSS growth after the first
// minute) and an overload at 5× capacity (429s, never a 5xx, /health answered throughout).
//
//   npm run bench -- --only serve [--quick] [--soak SECONDS]
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { presetConfig, validateConfig } from '../lib/config.js';
import { spamAssassin } from '../lib/data/spam.js';
import { saveModelDir } from '../lib/model-dir/model-dir.js';
import { BertForTask } from '../lib/model/bert.js';
import { native } from '../lib/native.js';
import { Tokenizer } from '../lib/tokenizer/tokenizer.js';
import { Vocab } from '../lib/tokenizer/vocab.js';
import { bertBaseUncasedTokens } from '../test/helpers/bert-vocab.js';
import type { Row } from './table.js';
import { vmHwmMiB } from './timing.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'bin', 'bert-cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started { child: ChildProcess; url: string; stop: () => Promise<void> }

async function startServer(argv: string[], port: number): Promise<Started> {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${err}`);
    try {
      if ((await fetch(url + '/health')).status === 200) break;
    } catch { /* not yet */ }
    await sleep(100);
  }
  const stop = () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); });
  return { child, url, stop };
}

async function batchStats(url: string): Promise<{ size: number; tokens: number; count: number } | null> {
  try {
    const t = await (await fetch(url + '/metrics')).text();
    const v = (n: string) => Number(new RegExp(`^${n} (\\S+)`, 'm').exec(t)?.[1] ?? NaN);
    return { size: v('bert_cli_batch_size_sum'), tokens: v('bert_cli_batch_tokens_sum'), count: v('bert_cli_batch_size_count') };
  } catch {
    return null;
  }
}

interface Load { rate: number; p50: number; p99: number; errors: number; non2xx: number; statuses: Record<string, number>; total: number }

function load(url: string, texts: string[], o: { connections: number; duration: number; rate?: number; model: string }): Promise<Load> {
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon({
      url, connections: o.connections, duration: o.duration, overallRate: o.rate, timeout: 60,
      requests: [{
        method: 'POST', path: '/v1/embeddings', headers: { 'content-type': 'application/json' },
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: JSON.stringify({ model: o.model, input: texts[i++ % texts.length], encoding_format: 'float' }) }),
      }],
    }, (err: Error | null, r: any) => {
      if (err) return reject(err);
      const statuses: Record<string, number> = {};
      for (const [k, v] of Object.entries(r.statusCodeStats ?? {})) statuses[k] = (v as { count: number }).count;
      resolve({ rate: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, statuses, total: r.requests.total });
    });
  });
}

export async function benchServe(opts: { quick: boolean; soakSeconds?: number }): Promise<{ rows: Row[]; raw: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'bert-bench-serve-'));
  const vocab = new Vocab(bertBaseUncasedTokens());
  const texts = spamAssassin().map((x) => x.text.slice(0, 2000).replace(/\s+/g, ' '));
  const rows: Row[] = [];
  const raw: Record<string, unknown>[] = [];
  const threads = String(native.numThreads());
  const duration = opts.quick ? 5 : 10;
  const levels = [1, 8, 64];
  let peerOk = true;
  try { createRequire(import.meta.url).resolve('@huggingface/transformers'); } catch { peerOk = false; }
  let port = 18700;
  const capacity: Record<string, number> = {};

  for (const size of opts.quick ? ['mini'] : ['mini', 'base']) {
    const m = new BertForTask(validateConfig(presetConfig(size as 'mini', vocab.size)), 'BertModel');
    m.initialize(1);
    const model = join(dir, size);
    saveModelDir(model, m, new Tokenizer(vocab, { lowercase: true }));
    const onnx = join(dir, 'onnx', size);
    const ex = spawn(process.execPath, [CLI, 'export', '--model', model, '--onnx', onnx, '--encoder', '--dtype', 'int8'], { stdio: 'inherit' });
    if (await new Promise((r) => ex.on('exit', r)) !== 0) throw new Error('bert-cli export failed');
    // transformers.js truncates at the tokenizer's model_max_length: 128, as bert-cli embeds
    const tc = join(onnx, 'tokenizer_config.json');
    writeFileSync(tc, JSON.stringify({ ...JSON.parse(readFileSync(tc, 'utf8')), model_max_length: 128 }));

    const runs: { name: string; argv: string[]; peer: boolean }[] = [
      { name: `bert-cli serve ${size} fp32`, argv: [CLI, 'serve', '--model', model, '--dtype', 'fp32'], peer: false },
      ...(native.int8Supported() ? [{ name: `bert-cli serve ${size} int8`, argv: [CLI, 'serve', '--model', model, '--dtype', 'int8'], peer: false }] : []),
      ...(peerOk ? [
        { name: `fastify + transformers.js ${size} fp32`, argv: [join(import.meta.dirname, 'peers', 'tjs_server.mjs'), onnx, '', threads, 'fp32'], peer: true },
        { name: `fastify + transformers.js ${size} q8`, argv: [join(import.meta.dirname, 'peers', 'tjs_server.mjs'), onnx, '', threads, 'q8'], peer: true },
      ] : []),
    ];
    const results: Record<string, Record<number, Load & { batch?: number; batchTokens?: number }>> = {};
    for (const run of runs) {
      const p = port++;
      // BERT_BENCH_SERVE_ARGS: extra flags for bert-cli serve (a setting measured before and after)
      const extra = process.env.BERT_BENCH_SERVE_ARGS?.split(' ').filter(Boolean) ?? [];
      const argv = run.peer ? [run.argv[0], run.argv[1], String(p), run.argv[3], run.argv[4]] : [...run.argv, '--port', String(p), ...extra];
      if (process.env.BERT_BENCH_SERVE_ONLY_OURS && run.peer) continue;
      const s = await startServer(argv, p);
      let peak = 0;
      const timer = setInterval(() => { peak = Math.max(peak, vmHwmMiB(s.child.pid!)); }, 200);
      try {
        await load(s.url, texts, { connections: 4, duration: 2, model: size }); // warm-up
        results[run.name] = {};
        for (const c of levels) {
          const before = await batchStats(s.url);
          const r = await load(s.url, texts, { connections: c, duration, model: size });
          const after = await batchStats(s.url);
          const batches = before && after ? after.count - before.count : 0;
          results[run.name][c] = { ...r, ...(batches > 0 ? { batch: (after!.size - before!.size) / batches, batchTokens: (after!.tokens - before!.tokens) / batches } : {}) };
        }
      } finally {
        clearInterval(timer);
        await s.stop();
      }
      for (const c of levels) {
        const r = results[run.name][c];
        rows.push({
          server: run.name, concurrency: c, 'texts/s': r.rate, 'p50 ms': r.p50, 'p99 ms': r.p99, 'errors+non2xx': r.errors + r.non2xx,
          'mean batch': r.batch ?? '', 'tokens/batch': r.batchTokens ?? '', 'peak RSS MiB': peak,
        });
      }
      raw.push({ server: run.name, results: results[run.name], peakMiB: peak });
      if (!run.peer) capacity[`${size} ${run.name.split(' ').pop()}`] = results[run.name][64].rate;
    }
    // ratios at each concurrency: bert-cli ÷ the peer (throughput), the peer's p99 ÷ ours
    for (const [ours, theirs] of [['fp32', 'fp32'], ['int8', 'q8'], ['fp32', 'q8']]) {
      const a = results[`bert-cli serve ${size} ${ours}`], b = results[`fastify + transformers.js ${size} ${theirs}`];
      if (!a || !b) continue;
      for (const c of levels) rows.push({ server: `  ratio ${size}: bert-cli ${ours} ÷ transformers.js ${theirs}`, concurrency: c, 'texts/s': a[c].rate / b[c].rate, 'p99 ms': `${(b[c].p99 / a[c].p99).toFixed(2)}× lower` });
    }
  }

  // the soak: ~80% of mini's capacity for a while; RSS sampled, growth measured after the first minute
  const soak = opts.soakSeconds ?? (opts.quick ? 0 : 600);
  const miniModel = join(dir, 'mini');
  const cap = capacity['mini fp32'];
  if (soak > 0 && cap) {
    const p = port++;
    const s = await startServer([CLI, 'serve', '--model', miniModel, '--port', String(p)], p);
    const rss: { t: number; mib: number }[] = [];
    const t0 = performance.now();
    const timer = setInterval(async () => {
      const t = await (await fetch(s.url + '/metrics')).text();
      rss.push({ t: (performance.now() - t0) / 1000, mib: Number(/^bert_cli_process_resident_memory_bytes (\S+)/m.exec(t)![1]) / 2 ** 20 });
    }, 5000);
    const r = await load(s.url, texts, { connections: 64, duration: soak, rate: Math.round(0.8 * cap), model: 'mini' });
    clearInterval(timer);
    await s.stop();
    const after1 = rss.filter((x) => x.t >= 60);
    const base = after1[0]?.mib ?? rss[0]?.mib, last = rss[rss.length - 1]?.mib;
    rows.push({ server: `soak: mini fp32 at ${Math.round(0.8 * cap)} texts/s (80%) for ${soak} s`, concurrency: 64, 'texts/s': r.rate, 'p50 ms': r.p50, 'p99 ms': r.p99, 'errors+non2xx': r.errors + r.non2xx, 'peak RSS MiB': Math.max(...rss.map((x) => x.mib)), 'RSS growth after 1 min': `${(((last - base) / base) * 100).toFixed(1)}%` });
    raw.push({ soak: { seconds: soak, rate: 0.8 * cap, result: r, rss } });
  }

  // overload: 5× capacity from 256 connections at a server that holds 64 requests at once
  if (cap) {
    const p = port++;
    const s = await startServer([CLI, 'serve', '--model', miniModel, '--port', String(p), '--max-concurrent-requests', '64'], p);
    let healthOk = 0, healthBad = 0, healthMax = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const t = performance.now();
        try { if ((await fetch(s.url + '/health')).status === 200) healthOk++; else healthBad++; } catch { healthBad++; }
        healthMax = Math.max(healthMax, performance.now() - t);
        await sleep(200);
      }
    })();
    const r = await load(s.url, texts, { connections: 256, duration: opts.quick ? 10 : 30, rate: Math.round(5 * cap), model: 'mini' });
    polling = false;
    await poll;
    const alive = s.child.exitCode === null;
    await s.stop();
    const fiveXX = Object.entries(r.statuses).filter(([k]) => k.startsWith('5')).reduce((n, [, v]) => n + v, 0);
    rows.push({ server: `overload: mini fp32 at ${Math.round(5 * cap)} req/s (5×), 256 connections, --max-concurrent-requests 64`, concurrency: 256, 'texts/s': (r.statuses['200'] ?? 0) / (opts.quick ? 10 : 30), 'p99 ms': r.p99, '429s': r.statuses['429'] ?? 0, '5xx': fiveXX, 'errors': r.errors, '/health ok': `${healthOk}/${healthOk + healthBad}, max ${healthMax.toFixed(0)} ms`, 'alive after': String(alive) });
    raw.push({ overload: { result: r, healthOk, healthBad, healthMaxMs: healthMax, alive } });
  }
  return { rows, raw };
}
