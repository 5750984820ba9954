// What a newcomer from HF types first: Trainer flags and pipeline task names get a pointer to ours
// (exit 2), a Hub name as --model says that bert-cli never downloads, --json is accepted by every
// command that prints JSON, a text typed as an argument is predicted and embedded, and predict's
// progress knows the total of a file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tinyModels } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-newcomer-'));
let m: ReturnType<typeof tinyModels>;
beforeAll(() => {
  m = tinyModels(dir, { classifier: true });
}, 120_000);

const finetune = (...extra: string[]) => runCli(['finetune', '--model', m.pretrained, '--task', 'classify', '--train', m.train, '--out', join(dir, 'x'), ...extra]);

describe("HF's habits", () => {
  it.each([
    [['--fp16'], /unknown option '--fp16' \(fp16 is not supported on CPUs; --dtype bf16/],
    [['--bf16'], /unknown option '--bf16' \(did you mean --dtype bf16\?\)/],
    [['--do_eval'], /unknown option '--do_eval' \(did you mean --dev FILE\?/],
    [['--warmup_steps', '100'], /unknown option '--warmup_steps' \(did you mean --warmup-ratio\?/],
    [['--max_steps', '100'], /unknown option '--max_steps' \(did you mean --epochs\? \(fine-tuning counts epochs/],
    [['--eval_steps', '50'], /unknown option '--eval_steps' \(did you mean --eval-every\?\)/],
    [['--early_stopping_patience', '3'], /unknown option '--early_stopping_patience' \(did you mean --early-stopping\?\)/],
    [['--lr_scheduler_type', 'linear'], /unknown option '--lr_scheduler_type' \(did you mean --scheduler\?\)/],
    [['--save_steps', '500'], /unknown option '--save_steps' \(did you mean --save-every\?\)/],
    [['--evaluation_strategy', 'epoch'], /unknown option '--evaluation_strategy' \(always on: --dev is evaluated after each epoch/],
    [['--load_best_model_at_end'], /unknown option '--load_best_model_at_end' \(always on: the best model by --dev/],
  ])('finetune %j: exit 2 and ours named', (flags, message) => {
    const r = finetune(...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("pipeline task names: --task ner is --task tag, text-classification is classify", () => {
    const ner = runCli(['finetune', '--model', m.pretrained, '--task', 'ner', '--train', m.train, '--out', join(dir, 'y')]);
    expect(ner.code).toBe(2);
    expect(ner.stderr).toMatch(/'ner' is HF's name for it: did you mean --task tag\?/);
    const tc = runCli(['eval', '--model', m.classifier, '--task', 'text-classification', m.train]);
    expect(tc.code).toBe(2);
    expect(tc.stderr).toMatch(/did you mean --task classify\?/);
  });

  it('a Hub name as --model: not found, and bert-cli never downloads', () => {
    const r = runCli(['predict', '--model', 'bert-base-uncased', 'hello'], { env: { HOME: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model directory not found, bert-base-uncased \(bert-cli never downloads models: .*huggingface-cli download bert-base-uncased/);
    const path = runCli(['predict', '--model', join(dir, 'no', 'such'), 'hello']);
    expect(path.stderr).not.toMatch(/never downloads/); // a path is a path
  });
});

describe('--json and texts as arguments', () => {
  it('predict, embed and tokenize take --json (their output is JSON Lines); dataset prints what it wrote', () => {
    const p = runCli(['predict', '--model', m.classifier, '--json', '--quiet'], { input: 'the war is here\n' });
    expect(p.code, p.stderr).toBe(0);
    expect(Object.keys(JSON.parse(p.stdout))).toContain('label');
    const e = runCli(['embed', '--model', m.pretrained, '--json'], { input: 'the war is here\n' });
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).embedding).toHaveLength(16);
    const t = runCli(['tokenize', '--model', m.pretrained, '--json'], { input: 'the war\n' });
    expect(t.code, t.stderr).toBe(0);
    const tokens = JSON.parse(t.stdout).tokens as string[];
    expect([tokens[0], tokens[tokens.length - 1]]).toEqual(['[CLS]', '[SEP]']);
    const d = runCli(['dataset', 'sotu', '--out', join(dir, 'sotu'), '--json', '--quiet']);
    expect(d.code, d.stderr).toBe(0);
    const w = JSON.parse(d.stdout);
    expect(w.dataset).toBe('sotu');
    expect(w.files.map((f: { path: string }) => f.path)).toEqual([join(dir, 'sotu', 'train.txt'), join(dir, 'sotu', 'heldout.txt')]);
    expect(w.files.every((f: { bytes: number }) => f.bytes > 1000)).toBe(true);
  });

  it('a text typed after the flags is predicted and embedded, as from standard input', () => {
    const typed = runCli(['predict', '--model', m.classifier, '--quiet', 'the war is here', 'peace and trade']);
    const piped = runCli(['predict', '--model', m.classifier, '--quiet'], { input: 'the war is here\npeace and trade\n' });
    expect(typed.code, typed.stderr).toBe(0);
    expect(typed.stdout).toBe(piped.stdout);
    const e = runCli(['embed', '--model', m.pretrained, 'the war is here']);
    const ep = runCli(['embed', '--model', m.pretrained], { input: 'the war is here\n' });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toBe(ep.stdout);
    // a file name with a typo stays a file: not found, not predicted as a text
    const typo = runCli(['predict', '--model', m.classifier, join(dir, 'tets.tsv')]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/not found/);
    const both = runCli(['predict', '--model', m.classifier, 'the war is here', m.train]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give files or texts, not both/);
  });

  it("predict's progress counts toward the file's total, and the end says how many texts were cut", () => {
    const file = join(dir, 'many.txt');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => (i === 7 ? 'the nation is here '.repeat(50) : `the nation ${i} is here`)).join('\n') + '\n');
    const r = runCli(['predict', '--model', m.classifier, file, '--batch-size', '100']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(300);
    expect(r.stderr).toMatch(/predicted \d+\/300 texts \(\d+\.\d%\)/);
    // and what it cut is said at the end (it was silent)
    expect(r.stderr).toMatch(/predicted 300 texts in [\d.]+ s; 1 longer than \d+ tokens, cut there \(--max-length\)/);
  });
});
