// Nothing lost: a training run killed with SIGKILL in the middle of writing a checkpoint leaves a
// checkpoint that loads and resumes to the same losses, bit for bit on one thread, as a run that was
// never killed. BERT_TEST_COMMIT_DELAY_MS holds each save at its two fragile points — new files written
// but not yet committed, and half of them renamed — long enough for the test to kill it there.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir, loadTrainingState } from '../../lib/model-dir/model-dir.js';
import { sotuAddresses, toPretrainingText } from '../../lib/data/sotu.js';
import { CLI, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-crash-'));
const corpus = join(dir, 'corpus.txt'), cfg = join(dir, 'config.json');
const STEPS = 10;
const args = (out: string, steps = STEPS) => ['pretrain', corpus, '--vocab-size', '500', '--config', cfg, '--steps', String(steps), '--batch-size', '4',
  '--max-length', '32', '--save-every', '1', '--threads', '1', '--seed', '11', '--out', out, '--quiet'];
const lossesOf = (out: string) => {
  const byStep = new Map<number, number>(); // a resumed run logs its steps again: the last word counts
  for (const l of readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')) {
    const r = JSON.parse(l);
    if (r.type === 'train') byStep.set(r.step, r.loss);
  }
  return byStep;
};
let reference: Map<number, number>;

beforeAll(() => {
  writeFileSync(corpus, toPretrainingText(sotuAddresses().slice(0, 3)));
  writeFileSync(cfg, JSON.stringify({ hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32, vocab_size: 1 }));
  const r = runCli(args(join(dir, 'reference')));
  expect(r.code, r.stderr).toBe(0);
  reference = lossesOf(join(dir, 'reference'));
  expect(reference.size).toBe(STEPS);
});

const temps = (files: string[]) => files.filter((f) => /^\..+\.tmp-\d+$/.test(f));

/** Runs the training with slow saves and SIGKILLs it once `when` holds for its directory, after step 3. */
async function killDuringSave(out: string, when: (files: string[]) => boolean): Promise<void> {
  const child = spawn(process.execPath, [CLI, ...args(out)], { env: { ...process.env, BERT_TEST_COMMIT_DELAY_MS: '1000' }, stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (_, sig) => r(sig === 'SIGKILL' ? -9 : 0)));
  const step = () => { try { return JSON.parse(readFileSync(join(out, 'training_state.json'), 'utf8')).step as number; } catch { return 0; } };
  // armed once step 3 is committed and no commit is in flight: step 3's own commit already shows
  // state 3 in its last moments, before its journal goes, and killing there would test nothing
  // (the state is read before the listing: state 3 and then no journal means step 3's commit is over)
  let armed = false;
  for (let i = 0; i < 8000; i++) {
    const committed = step();
    const files = existsSync(out) ? readdirSync(out) : [];
    if (!armed) armed = committed >= 3 && !files.includes('.commit.json');
    else if (when(files)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe(-9);
}

describe('SIGKILL during a checkpoint save', () => {
  it('before the commit: the previous checkpoint is whole and read without a write; the resuming writer sweeps the half-written files; resume matches', async () => {
    const out = join(dir, 'killed-before');
    await killDuringSave(out, (files) => temps(files).length >= 4 && !files.includes('.commit.json'));
    const left = readdirSync(out);
    expect(temps(left).length).toBeGreaterThan(0); // killed with new files written but not committed
    expect(left).not.toContain('.commit.json');
    const state = JSON.parse(readFileSync(join(out, 'training_state.json'), 'utf8'));
    const loaded = loadModelDir(out);
    expect(loaded.model.store.size).toBeGreaterThan(0);
    expect(loadTrainingState(out, loaded.model.store.size).state.step).toBe(state.step);
    expect(readdirSync(out)).toEqual(left); // readers never write
    const r = runCli([...args(out), '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(temps(readdirSync(out))).toHaveLength(0); // swept by the writer
    const losses = lossesOf(out);
    for (let s = state.step + 1; s <= STEPS; s++) expect(losses.get(s), `step ${s}`).toBe(reference.get(s));
  }, 120_000);

  it('halfway through the renames: readers see the new checkpoint through the journal without a write; the resuming writer rolls it forward; resume matches', async () => {
    const out = join(dir, 'killed-during');
    await killDuringSave(out, (files) => files.includes('.commit.json'));
    expect(readdirSync(out)).toContain('.commit.json'); // killed inside the commit
    const before = JSON.parse(readFileSync(join(out, 'training_state.json'), 'utf8')).step;
    const listing = readdirSync(out);
    const loaded = loadModelDir(out); // reads the committed files, some under their temporary names
    const after = loadTrainingState(out, loaded.model.store.size).state.step;
    expect(after).toBe(before + 1); // the state that was being written is the one read
    expect(readdirSync(out)).toEqual(listing); // and nothing was written
    const r = runCli([...args(out), '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out)).not.toContain('.commit.json'); // rolled forward by the writer
    const losses = lossesOf(out);
    for (let s = after + 1; s <= STEPS; s++) expect(losses.get(s), `step ${s}`).toBe(reference.get(s));
  }, 120_000);
});

describe('SIGKILL at random moments during finetune', () => {
  it('--save-every keeps a resumable last/; each kill then --resume ends bit-identical to a run never killed', async () => {
    const { tinyModels } = await import('./helpers.js');
    const m = tinyModels(mkdtempSync(join(dir, 'ft-')));
    const tsv = join(dir, 'ft-train.tsv');
    const words = ['the', 'war', 'peace', 'congress', 'nation', 'people', 'law', 'trade', 'tax', 'navy'];
    writeFileSync(tsv, 'text\tlabel\n' + Array.from({ length: 200 }, (_, i) => `${words[i % 10]} ${words[(i * 7) % 10]} is here\t${i % 3 ? 'a' : 'b'}`).join('\n') + '\n');
    const ftArgs = (out: string) => ['finetune', '--model', m.pretrained, '--task', 'classify', '--train', tsv, '--out', out, '--epochs', '30', '--batch-size', '4',
      '--max-length', '16', '--seed', '5', '--save-every', '7', '--threads', '1', '--quiet'];
    const reference = join(dir, 'ft-reference');
    const r = runCli(ftArgs(reference), { timeout: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const stepOf = (out: string) => {
      try {
        return JSON.parse(readFileSync(join(out, 'last', 'training_state.json'), 'utf8')).step as number;
      } catch {
        return 0;
      }
    };
    // seeded "random" kill points: at step ≥ k of the first save past it, plus a few milliseconds
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const out = join(dir, 'ft-killed');
    for (let kill = 0; kill < 3; kill++) {
      const from = stepOf(out);
      const child = spawn(process.execPath, [CLI, ...ftArgs(out), ...(kill ? ['--resume'] : [])], { stdio: 'ignore' });
      const target = from + 7 + Math.floor(rand() * 200);
      for (let i = 0; i < 3000 && stepOf(out) < target && child.exitCode === null; i++) await new Promise((res) => setTimeout(res, 10));
      await new Promise((res) => setTimeout(res, Math.floor(rand() * 50)));
      child.kill('SIGKILL');
      await new Promise((res) => child.on('exit', res));
      expect(stepOf(out)).toBeGreaterThan(from);
    }
    const resumed = runCli([...ftArgs(out), '--resume'], { timeout: 300_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const f of ['model.safetensors', 'last/model.safetensors', 'last/optimizer.safetensors']) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(reference, f))), f).toBe(true);
    }
    const losses = (dirOut: string) => readFileSync(join(dirOut, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'train').map((x) => [x.step, x.loss]);
    expect(losses(out)).toEqual(losses(reference));
  }, 600_000);
});
