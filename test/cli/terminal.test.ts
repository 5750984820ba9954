// bert-cli at a real terminal (tmux: a pseudo-terminal and its rendered screen), as a person runs it:
// the key press Ctrl-C — not a signal sent with kill — finishes the step, saves and exits 130 during
// pretrain, finetune and quickstart, and the rerun resumes; quickstart exits when it is done; the
// progress line is redrawn in place, not printed again and again. Every other CLI test pipes its
// output, which is how these defects hid: ora's spinner put the terminal in raw mode (the key never
// became SIGINT), and its timer kept the process alive after the last stage.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers.js';
import { hasTmux, Terminal } from '../helpers/terminal.js';

// CI installs tmux (.ci/run) and sets BERT_REQUIRE_TMUX=1, so there these tests cannot be skipped
const skip = !hasTmux && process.env.BERT_REQUIRE_TMUX !== '1';
const dir = mkdtempSync(join(tmpdir(), 'bert-cli-tty-'));
const ROOT = join(import.meta.dirname, '..', '..');
const corpus = join(dir, 'corpus.txt');
const cfg = join(dir, 'config.json');
const terminals: Terminal[] = [];
const terminal = (args: string[]) => {
  const t = new Terminal([process.execPath, CLI, ...args], { cols: 150, rows: 40 });
  terminals.push(t);
  return t;
};
afterEach(() => terminals.splice(0).forEach((t) => t.close()));

beforeAll(() => {
  if (skip) return;
  const r = runCli(['dataset', 'sotu', '--out', join(dir, 'sotu'), '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  writeFileSync(corpus, readFileSync(join(dir, 'sotu', 'train.txt'), 'utf8').split('\n\n').slice(0, 40).join('\n\n') + '\n');
  writeFileSync(cfg, JSON.stringify({ hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, type_vocab_size: 2, vocab_size: 1 }));
});

/** Lines of a screen (with its history) that show the progress line `re`. */
const progressLines = (screen: string, re: RegExp) => screen.split('\n').filter((l) => re.test(l)).length;

describe.skipIf(skip)('at a terminal', () => {
  const pretrained = join(dir, 'pretrained');

  it('pretrain: one progress line redrawn; the Ctrl-C key finishes the step, saves and exits 130; --resume goes on', async () => {
    const t = terminal(['pretrain', corpus, '--vocab-size', '600', '--config', cfg, '--steps', '100000', '--batch-size', '4', '--max-length', '48', '--out', pretrained, '--seed', '3']);
    const running = await t.waitFor(/step [1-9]\d+\/100000 .*ETA \d/);
    expect(progressLines(running, /step \d+\/100000/)).toBe(1);
    t.keys('C-c');
    expect(await t.waitForExit(30_000)).toBe(130);
    expect(t.screen(true)).toMatch(/SIGINT: finishing this step and saving a checkpoint/);
    expect(t.screen(true)).toMatch(/stopped and saved .* \d+ steps? in/);
    const state = JSON.parse(readFileSync(join(pretrained, 'training_state.json'), 'utf8'));
    expect(state.step).toBeGreaterThan(9);
    const resumed = runCli(['pretrain', corpus, '--config', cfg, '--steps', String(state.step + 2), '--batch-size', '4', '--max-length', '48', '--out', pretrained, '--resume', '--json', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).steps).toBe(state.step + 2);
  }, 120_000);

  it('finetune: the Ctrl-C key saves last/ and exits 130; --resume finishes the run', async () => {
    const tsv = join(dir, 'train.tsv');
    const sents = readFileSync(corpus, 'utf8').split('\n').filter((l) => l.split(' ').length > 4).slice(0, 400);
    writeFileSync(tsv, 'text\tlabel\n' + sents.map((s, i) => `${s.replace(/\t/g, ' ')}\t${i % 2 ? 'war' : 'peace'}`).join('\n') + '\n');
    const out = join(dir, 'ft');
    const args = ['finetune', '--model', pretrained, '--task', 'classify', '--train', tsv, '--out', out, '--epochs', '100', '--batch-size', '4', '--max-length', '48', '--seed', '1'];
    const t = terminal(args);
    await t.waitFor(/epoch \d+\/100 +step [1-9]\d*\/10000 /);
    t.keys('C-c');
    expect(await t.waitForExit(30_000)).toBe(130);
    expect(t.screen(true)).toMatch(/stopped and saved/);
    expect(progressLines(t.screen(true), /epoch \d+\/100 +step/)).toBeLessThanOrEqual(1);
    const state = JSON.parse(readFileSync(join(out, 'last', 'training_state.json'), 'utf8'));
    expect(state.step).toBeGreaterThan(0);
    expect(state.step).toBeLessThan(10000);
    const resumed = runCli([...args, '--resume', '--quiet', '--json'], { timeout: 300_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).steps).toBe(10000);
  }, 360_000);

  it("a library script run with `node --import tsx`: the Ctrl-C key stops finetune() after its step with last/ saved and the lock given back", async () => {
    const project = join(dir, 'script');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(project, 'node_modules', 'bert-cli'));
    symlinkSync(join(ROOT, 'node_modules', 'tsx'), join(project, 'node_modules', 'tsx'));
    const tsv = join(dir, 'script-train.tsv');
    const sents = readFileSync(corpus, 'utf8').split('\n').filter((l) => l.split(' ').length > 4).slice(0, 400);
    writeFileSync(tsv, 'text\tlabel\n' + sents.map((x, i) => `${x.replace(/\t/g, ' ')}\t${i % 2 ? 'war' : 'peace'}`).join('\n') + '\n');
    const out = join(dir, 'script-ft');
    // docs/library.md's pattern: an AbortController wired to SIGINT
    writeFileSync(join(project, 'train.mts'), `
import { finetune } from 'bert-cli';
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
const r = await finetune({ model: ${JSON.stringify(pretrained)}, task: 'classify', train: ${JSON.stringify(tsv)}, out: ${JSON.stringify(out)},
  epochs: 100, batchSize: 4, maxLength: 48, resume: process.argv[2] === 'resume', signal: stop.signal,
  onStep: (s) => { if (s.step % 5 === 0) console.log('step', s.step); } });
console.log(r.stopped ? 'stopped at' : 'done at', r.steps);
`);
    const t = new Terminal([process.execPath, '--import', 'tsx', 'train.mts'], { cwd: project, cols: 150, rows: 40 });
    terminals.push(t);
    await t.waitFor(/^step [1-9]\d*$/m);
    t.keys('C-c');
    expect(await t.waitForExit(30_000)).toBe(0);
    const stoppedAt = Number(/stopped at (\d+)/.exec(t.screen(true))![1]);
    const state = JSON.parse(readFileSync(join(out, 'last', 'training_state.json'), 'utf8'));
    expect(state.step).toBe(stoppedAt);
    expect(existsSync(join(out, '.bert-cli.lock'))).toBe(false);
  }, 120_000);

  it('predict -o FILE: the Ctrl-C key ends it at once (exit 130), mid-file, leaving neither FILE nor its temporary', async () => {
    // one input file is one chunk read ahead; its batches ran back to back without a turn of the
    // event loop, so the key's SIGINT waited for the whole chunk (tens of seconds on real e-mails)
    const input = join(dir, 'many.txt');
    writeFileSync(input, readFileSync(corpus, 'utf8').split('\n').filter((l) => l.length > 20).slice(0, 300).join('\n').repeat(200) + '\n');
    const out = join(dir, 'predictions.jsonl');
    const t = terminal(['predict', '--model', join(dir, 'ft'), input, '-o', out, '--batch-size', '2']);
    await t.waitFor(/predicted [1-9]\d*(\/\d+)? texts/, 60_000);
    t.keys('C-c');
    expect(await t.waitForExit(10_000)).toBe(130);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('predictions.jsonl'))).toEqual([]);
  }, 120_000);

  it('quickstart --fast: the Ctrl-C key during pretraining saves; the rerun resumes, finishes and exits 0', async () => {
    const qs = join(dir, 'qs');
    const first = terminal(['quickstart', '--fast', '--out', qs]);
    await first.waitFor(/pretraining: step [1-9]\d*\/\d+/, 120_000);
    first.keys('C-c');
    expect(await first.waitForExit(30_000)).toBe(130);
    expect(existsSync(join(qs, 'pretrained', 'training_state.json'))).toBe(true);
    const again = terminal(['quickstart', '--fast', '--out', qs]);
    await again.waitFor(/resuming the stopped run/, 60_000);
    // it ends by itself: no spinner left turning after the last stage
    expect(await again.waitForExit(300_000)).toBe(0);
    const screen = again.screen(true);
    expect(screen).toMatch(/Done in \w+\. Try:/);
    expect(screen.split('\n').pop()).toMatch(/^Training reports: /);
    expect(progressLines(screen, /pretraining: step \d+\/\d+/)).toBeLessThanOrEqual(1);
  }, 480_000);
});
