// What a person meets around the main jobs: a closed pipe ends a command quietly (exit 0, as `head`
// users expect) and stops its work; --version and the version in info; an --out that holds a model
// is not overwritten unless asked (as HF's scripts refuse a non-empty output_dir without
// --overwrite_output_dir); a data file of the wrong shape for the task is named; eval --json is one
// line; the missing-head message is the same in predict and eval; HF's flag names point to ours;
// "1 text", not "1 texts".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, tinyModels } from './helpers.js';
import { Eta, plural } from '../../lib/report/format.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-consistency-'));
const p = (f: string) => join(dir, f);
const version = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version;
const sh = (script: string) => spawnSync('bash', ['-c', `set -o pipefail; ${script}`], { encoding: 'utf8', timeout: 120_000 });
const node = `'${process.execPath}' '${CLI}'`;

beforeAll(() => {
  tinyModels(dir, { classifier: true });
  writeFileSync(p('many.txt'), Array.from({ length: 20_000 }, (_, i) => `text number ${i}`).join('\n') + '\n');
});

describe('pipes', () => {
  it('`predict --help | head -1`: the first line, exit 0, no EPIPE stack', () => {
    const r = sh(`${node} predict --help | head -1`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('Usage: bert-cli predict [options] [inputs...]\n');
    expect(r.stderr).toBe('');
  });

  it('`predict … | head -1` stops the work at the closed pipe and exits 0', () => {
    const r = sh(`${node} predict --model '${p('classifier')}' '${p('many.txt')}' --batch-size 64 | head -1`);
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toContain('label');
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    // it never reached the end of its 20,000 texts (the summary line would say so)
    expect(r.stderr).not.toMatch(/predicted 20000 texts in/);
  });
});

describe('flags and messages', () => {
  it('--version, and the version in info', () => {
    expect(runCli(['--version']).stdout.trim()).toBe(version);
    expect(runCli(['info']).stdout.split('\n')[0]).toBe(`bert-cli   ${version}`);
    expect(JSON.parse(runCli(['info', '--json']).stdout).version).toBe(version);
  });

  it('an --out that holds a model is refused unless --resume or --overwrite', () => {
    const pt = ['pretrain', p('corpus.txt'), '--vocab-size', '60', '--config', p('tiny-config.json'), '--steps', '1', '--batch-size', '2', '--max-length', '16', '--out', p('pretrained'), '--quiet'];
    const before = readFileSync(join(p('pretrained'), 'model.safetensors'));
    const refused = runCli(pt);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds a model \(model\.safetensors\): --resume continues its run, --overwrite replaces it, --out/);
    expect(readFileSync(join(p('pretrained'), 'model.safetensors')).equals(before)).toBe(true);
    const ft = ['finetune', '--model', p('pretrained'), '--task', 'classify', '--train', p('train.tsv'), '--out', p('classifier'), '--epochs', '1', '--max-length', '16', '--quiet'];
    expect(runCli(ft).stderr).toMatch(/already holds a model .*--overwrite replaces it, --out/);
    const again = runCli([...ft.map((a) => (a === p('classifier') ? p('classifier2') : a))]);
    expect(again.code, again.stderr).toBe(0);
    const over = runCli([...ft.map((a) => (a === p('classifier') ? p('classifier2') : a)), '--overwrite']);
    expect(over.code, over.stderr).toBe(0);
    writeFileSync(p('a-file'), 'x');
    expect(runCli([...ft.map((a) => (a === p('classifier') ? p('a-file') : a))]).stderr).toMatch(/a-file is a file, not a directory, --out/);
  });

  it('a data file of the wrong shape for the task is named, with the task it fits', () => {
    const tag = runCli(['finetune', '--model', p('pretrained'), '--task', 'tag', '--train', p('train.tsv'), '--out', p('tag'), '--quiet']);
    expect(tag.code).toBe(1);
    expect(tag.stderr).toMatch(/tagging reads CoNLL .*first column has spaces; a TSV of texts and labels is for --task classify, .*train\.tsv:2/);
    writeFileSync(p('pos.conll'), 'The DET\ndog NOUN\n\nIt PRON\nran VERB\n');
    const cls = runCli(['finetune', '--model', p('pretrained'), '--task', 'classify', '--train', p('pos.conll'), '--out', p('cls'), '--quiet']);
    expect(cls.code).toBe(1);
    expect(cls.stderr).toMatch(/a CoNLL file .* is for --task tag; this task reads a \.tsv, \.csv or \.jsonl of texts and labels, .*pos\.conll/);
  });

  it('eval --json is one line; eval and predict refuse a model without the head in the same words', () => {
    const e = runCli(['eval', '--model', p('classifier'), p('train.tsv'), '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(e.stdout)).toMatchObject({ task: 'classify' });
    const piped = runCli(['eval', '--model', p('classifier'), p('train.tsv')]);
    expect(JSON.parse(piped.stdout).accuracy).toBe(JSON.parse(e.stdout).accuracy);
    const ev = runCli(['eval', '--model', p('pretrained'), '--task', 'classify', p('train.tsv')]);
    const pr = runCli(['predict', '--model', p('pretrained'), '--quiet'], { input: 'hello\n' });
    expect(pr.stderr).toMatch(/the model has no \w+ head; fine-tune it first/);
    expect(ev.stderr).toBe(pr.stderr.replace(/no \w+ head/, 'no classify head'));
    expect(ev.code).toBe(1);
  });

  it("HF's flag names, typed from habit, point to ours (exit 2)", () => {
    const cases: [string[], string][] = [
      [['finetune', '--model', 'm', '--learning_rate', '3e-5'], '--lr'],
      [['finetune', '--num_train_epochs=3'], '--epochs'],
      [['finetune', '--output_dir', 'o'], '--out'],
      [['finetune', '--per-device-train-batch-size', '8'], '--batch-size'],
      [['finetune', '--train_file', 'x.tsv'], '--train'],
      [['pretrain', 'c.txt', '--max_seq_length', '64'], '--max-length'],
      [['predict', '--model_name_or_path', 'm'], '--model'],
      [['pretrain', 'c.txt', '--model-name-or-path', 'm'], '--init'],
    ];
    for (const [args, ours] of cases) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`bert-cli: error: unknown option '${args.find((a) => /_|per-device|name-or/.test(a))!.split('=')[0]}' (did you mean ${ours}?)\n`);
    }
  });

  it('counts read as English: "predicted 1 text"', () => {
    const r = runCli(['predict', '--model', p('classifier')], { input: 'hello there\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/predicted 1 text in/);
    expect(plural(2, 'text')).toBe('2 texts');
  });
});

describe('ETA', () => {
  it('ignores the warm-up steps and follows the pace of the recent ones', () => {
    const eta = new Eta(100, 3, 10);
    // a slow first step (allocation, page faults) then 0.1 s a step
    const times = [5, 5.1, 5.2, 5.3, 5.4, 5.5];
    expect(eta.text(1, times[0])).toBe('ETA …');
    for (let s = 2; s <= 5; s++) eta.at(s, times[s - 1]);
    expect(eta.at(6, times[5])).toBeCloseTo(0.1 * 94, 6);
    // the pace doubles: within a window the estimate follows it
    let t = 5.5;
    for (let s = 7; s <= 20; s++) eta.at(s, (t += 0.2));
    expect(eta.at(21, (t += 0.2))).toBeCloseTo(0.2 * 79, 6);
  });
});
