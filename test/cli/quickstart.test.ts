// bert-cli quickstart --fast: every stage runs on the bundled real data and prints its figures; the
// output directory works with predict and eval; a rerun reuses every finished stage.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

describe('bert-cli quickstart --fast', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bert-quickstart-')), 'qs');

  it('runs the course: data, vocabulary, pretraining, fine-tuning, evaluation, predictions, fill-mask', () => {
    const r = runCli(['quickstart', '--fast', '--out', out, '--json'], { timeout: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    // with --json, stdout is the JSON alone (`| jq` works) and the stages' text is on stderr
    for (let k = 1; k <= 7; k++) expect(r.stderr).toContain(`[${k}/7]`);
    const summary = JSON.parse(r.stdout);
    expect(summary).toEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')));
    // pretraining learned something about the held-out addresses
    expect(summary.heldOut.mlmAccuracy).toBeGreaterThan(summary.heldOut.mlmBaseline);
    // fine-tuning learned spam from ham: above always answering "ham" (~69% of the e-mails)
    expect(summary.test.count).toBe(300);
    expect(summary.test.bert.accuracy).toBeGreaterThan(0.8);
    expect(summary.test.bert.spamF1).toBeGreaterThan(0.5);
    expect(summary.samples).toHaveLength(6);
    expect(summary.fillMask.candidates).toHaveLength(5);
    for (const f of ['vocab.txt', 'pretrained/report.html', 'spam/report.html', 'spam/config.json', 'data/spam/test.tsv']) expect(existsSync(join(out, f)), f).toBe(true);
  }, 300_000);

  it('leaves a model that predict and eval use', () => {
    const p = runCli(['predict', '--model', join(out, 'spam'), '--quiet'], { input: 'FREE money!!! click here to claim your prize\n' });
    expect(p.code, p.stderr).toBe(0);
    expect(Object.keys(JSON.parse(p.stdout).scores).sort()).toEqual(['ham', 'spam']);
    const e = runCli(['eval', '--model', join(out, 'spam'), join(out, 'data/spam/test.tsv')]);
    expect(e.code, e.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(JSON.parse(e.stdout).accuracy).toBeCloseTo(summary.test.bert.accuracy, 6);
  });

  it('a rerun reuses the finished stages and gives the same figures', () => {
    const before = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const r = runCli(['quickstart', '--fast', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/reusing/g)).toHaveLength(4); // data, vocabulary, pretrained model, fine-tuned model
    const after = JSON.parse(r.stdout);
    expect(after.test).toEqual(before.test);
  });
});
