// bert-cli dataset, pretrain and fill-mask, spawned as a user runs them: a model directory comes
// out, fill-mask reads it, Ctrl-C saves a checkpoint that --resume continues, errors are one line.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { CLI, runCli } from './helpers.js';
import { native } from '../../lib/native.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-pt-'));
const small = join(dir, 'small.txt');
const cfg = join(dir, 'config.json');
const args = (out: string, steps: number) => [
  'pretrain', small, '--vocab-size', '600', '--config', cfg, '--steps', String(steps), '--batch-size', '4', '--max-length', '48', '--out', out, '--seed', '3',
];

beforeAll(() => {
  const r = runCli(['dataset', 'sotu', '--out', join(dir, 'sotu'), '--quiet']);
  expect(r.code).toBe(0);
  const text = readFileSync(join(dir, 'sotu', 'heldout.txt'), 'utf8').split('\n\n').slice(0, 4).join('\n\n');
  writeFileSync(small, text + '\n');
  writeFileSync(cfg, JSON.stringify({ hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, type_vocab_size: 2, vocab_size: 1 }));
});

describe('bert-cli dataset sotu', () => {
  it('writes the corpus in BERT format with 5% of the addresses held out', () => {
    const train = readFileSync(join(dir, 'sotu', 'train.txt'), 'utf8'), held = readFileSync(join(dir, 'sotu', 'heldout.txt'), 'utf8');
    expect(train.trim().split('\n\n')).toHaveLength(222);
    expect(held.trim().split('\n\n')).toHaveLength(11);
    expect(train.startsWith('Fellow-Citizens of the Senate and House of Representatives:')).toBe(true);
  });
});

describe('bert-cli pretrain and fill-mask', () => {
  it('pretrains a model directory that fill-mask uses', () => {
    const out = join(dir, 'model');
    const r = runCli([...args(out, 8), '--json', '--quiet']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ steps: 8, stopped: false });
    for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors', 'metrics.jsonl', 'training_state.json']) {
      expect(existsSync(join(out, f))).toBe(true);
    }
    const fm = runCli(['fill-mask', '--model', out, 'the congress of the united [MASK] .', '--top-k', '3', '--json']);
    expect(fm.code).toBe(0);
    const cands = JSON.parse(fm.stdout);
    expect(cands).toHaveLength(3);
    expect(cands[0].score).toBeGreaterThanOrEqual(cands[1].score);
    // the text with the candidate in place, decoded as HF's pipeline does (a ## piece glues on)
    expect(cands[0].sequence.startsWith('the congress of the united')).toBe(true);
    expect(cands[0].sequence.replace(/\s/g, '')).toContain(cands[0].token_str.replace(/^##/, '').replace(/\s/g, ''));
    const none = runCli(['fill-mask', '--model', out, 'no mask here']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^bert-cli: error: the text has no \[MASK\] token/);
  });

  it('--dtype bf16 trains in mixed precision: the losses follow fp32\'s closely, not exactly, the same on 1 and 2 threads', () => {
    const losses = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'train').map((x) => x.loss as number);
    const run = (name: string, extra: string[]) => {
      const out = join(dir, name);
      const r = runCli([...args(out, 6), '--quiet', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return { out, stderr: r.stderr, losses: losses(out) };
    };
    const fp32 = run('dtype-fp32', ['--dtype', 'fp32']), bf16 = run('dtype-bf16', ['--dtype', 'bf16', '--threads', '1']);
    const bf16b = run('dtype-bf16-2', ['--dtype', 'bf16', '--threads', '2']);
    expect(bf16.losses).toHaveLength(6);
    expect(bf16b.losses).toEqual(bf16.losses);
    if (native.bf16Supported()) {
      expect(bf16.stderr).toBe('');
      expect(bf16.losses).not.toEqual(fp32.losses);
      bf16.losses.forEach((l, i) => expect(Math.abs(l - fp32.losses[i])).toBeLessThan(2e-2 * fp32.losses[i]));
      expect(readFileSync(join(bf16.out, 'report.html'), 'utf8')).toMatch(/dtype.{0,80}bf16/s);
    } else {
      expect(bf16.stderr).toMatch(/--dtype bf16 needs AVX512_BF16.*running fp32/);
      expect(bf16.losses).toEqual(fp32.losses);
    }
    const bad = runCli([...args(join(dir, 'dtype-bad'), 2), '--dtype', 'fp16']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--dtype.*expected auto, fp32 or bf16, got 'fp16'/);
  });

  it('--dropout sets hidden and attention dropout in config.json (a resumed run keeps its own)', () => {
    const out = join(dir, 'dropout0');
    const r = runCli([...args(out, 2), '--quiet', '--dropout', '0']);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect([c.hidden_dropout_prob, c.attention_probs_dropout_prob]).toEqual([0, 0]);
    const keep = runCli([...args(out, 3), '--quiet', '--resume', '--dropout', '0']);
    expect(keep.code, keep.stderr).toBe(0);
    const change = runCli([...args(out, 4), '--quiet', '--resume', '--dropout', '0.1']);
    expect(change.code).toBe(2);
    expect(change.stderr).toMatch(/^bert-cli: error: the run in .* has dropout 0; --resume goes on with it, --dropout\n$/);
    const one = runCli([...args(join(dir, 'dropout1'), 2), '--dropout', '1']);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/--dropout.*expected a number in \[0, 1\), got '1'/);
    // fine-tuning from it chooses its own
    const ft = join(dir, 'dropout-ft'), tsv = join(dir, 'dropout-ft.tsv');
    writeFileSync(tsv, 'text\tlabel\nthe congress met\ta\nthe war ended\tb\n');
    const f = runCli(['finetune', '--model', out, '--task', 'classify', '--train', tsv, '--out', ft, '--epochs', '1', '--quiet', '--dropout', '0.2']);
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(ft, 'config.json'), 'utf8')).hidden_dropout_prob).toBe(0.2);
  });

  for (const [signal, exit] of [['SIGINT', 130], ['SIGTERM', 143]] as const) it(`${signal} (Ctrl-C, or a scheduler stopping the job) finishes the step, saves, exits ${exit}; --resume goes on`, async () => {
    // A corpus of ~40 addresses in one in-memory shard: an epoch is hundreds of steps with no file
    // read between them, so the signal must be handled between steps, not at the next epoch.
    const big = join(dir, 'big.txt');
    writeFileSync(big, readFileSync(join(dir, 'sotu', 'train.txt'), 'utf8').split('\n\n').slice(0, 40).join('\n\n') + '\n');
    const out = join(dir, `interrupted-${signal}`);
    const child = spawn(process.execPath, [CLI, 'pretrain', big, '--vocab-size', '600', '--config', cfg, '--steps', '100000', '--batch-size', '4', '--max-length', '48', '--out', out, '--seed', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const metrics = join(out, 'metrics.jsonl');
    for (let i = 0; i < 600 && !(existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 3); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill(signal);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(exit);
    expect(stderr).toMatch(new RegExp(`${signal}: finishing this step and saving a checkpoint`));
    const state = JSON.parse(readFileSync(join(out, 'training_state.json'), 'utf8'));
    expect(state.step).toBeGreaterThan(2);
    expect(state.data.epoch).toBe(0); // stopped mid-epoch, within a step or two of the signal
    const resumed = runCli(['pretrain', big, '--config', cfg, '--steps', String(state.step + 2), '--batch-size', '4', '--max-length', '48', '--out', out, '--resume', '--json', '--quiet']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).steps).toBe(state.step + 2);
  }, 120_000);

  it('errors are one line with the flag or the file', () => {
    const noVocab = runCli(['pretrain', small, '--out', join(dir, 'x')]);
    expect(noVocab.code).toBe(2);
    expect(noVocab.stderr).toMatch(/^bert-cli: error: give --vocab FILE or --vocab-size N/);
    const missing = runCli(['pretrain', join(dir, 'nope.txt'), '--vocab-size', '100', '--out', join(dir, 'x')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^bert-cli: error: corpus file not found, .*nope\.txt\n$/);
    const badLen = runCli(['pretrain', small, '--vocab-size', '100', '--max-length', '9999', '--out', join(dir, 'x')]);
    expect(badLen.code).toBe(2);
    expect(badLen.stderr).toMatch(/--max-length 9999 is over max_position_embeddings 512/);
    const both = runCli(['pretrain', small, '--vocab-size', '100', '--budget', '1m', '--steps', '5', '--out', join(dir, 'x')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^bert-cli: error: give one of --steps N \(exactly N steps\) and --budget TIME \(the steps that fit\), --budget\n$/);
    const badBudget = runCli(['pretrain', small, '--vocab-size', '100', '--budget', '30', '--out', join(dir, 'x')]);
    expect(badBudget.code).toBe(2);
    expect(badBudget.stderr).toMatch(/--budget <duration>' argument '30' is invalid\. expected a duration such as 90s, 30m, 1h or 1h30m/);
    const badShort = runCli(['pretrain', small, '--vocab-size', '100', '--short-length', '64', '--max-length', '64', '--out', join(dir, 'x')]);
    expect(badShort.code).toBe(2);
    expect(badShort.stderr).toMatch(/--short-length 64 must be below --max-length 64/);
    const badCfg = runCli(['fill-mask', '--model', join(dir, 'nope'), 'a [MASK]']);
    expect(badCfg.code).toBe(1);
    expect(badCfg.stderr).toMatch(/model directory not found/);
  });
});
