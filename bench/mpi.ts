// Data-parallel pretraining over MPI on this machine: 2 ranks × 1 thread (mpirun, shared memory)
// beside 1 process × 2 threads, for mini and base at the same global batch — step time, bytes summed
// per step, the bare allreduce of the gradient, and how much of it the backward pass did not hide —
// with PyTorch DistributedDataParallel on gloo in the same run (bench/peers/torch_ddp.py).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig, type PresetName } from '../lib/config.js';
import { saveModelDir } from '../lib/model-dir/model-dir.js';
import { BertForTask } from '../lib/model/bert.js';
import { mpiAddonPath } from '../lib/train/distributed.js';
import { Tokenizer } from '../lib/tokenizer/tokenizer.js';
import { Vocab } from '../lib/tokenizer/vocab.js';
import { bertBaseUncasedTokens } from '../test/helpers/bert-vocab.js';
import type { Row } from './table.js';

interface Measured { stepSeconds: number; exposedWaitSeconds?: number; allreduceSeconds?: number | null; bytes?: number; library?: string | null }

function ours(ranks: number, config: string, batch: number, seq: number, steps: number): Measured | string {
  const worker = [process.execPath, '--import', 'tsx', join(import.meta.dirname, 'mpi-worker.ts'), config, String(batch / ranks), String(seq), String(steps), String(2 / ranks)];
  const r = ranks === 1 ? spawnSync(worker[0], worker.slice(1), { encoding: 'utf8', timeout: 900_000 })
    : spawnSync('mpirun', ['--allow-run-as-root', '--oversubscribe', '--quiet', '-np', String(ranks), ...worker], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) return `failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function torchDdp(dir: string, ranks: number, batch: number, seq: number, steps: number): Measured | string {
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'peers', 'torch_ddp.py'), dir, String(ranks), String(2 / ranks), String(batch / ranks), String(seq), String(steps)], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) return /No module named 'torch'/.test(r.stderr) ? 'skipped (apt-get install python3-torch)' : `failed: ${r.stderr.trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

export function benchMpi(opts: { quick: boolean }): { rows: Row[]; raw: unknown[] } {
  const rows: Row[] = [], raw: unknown[] = [];
  if (spawnSync('mpirun', ['--version']).status !== 0 || !existsSync(mpiAddonPath())) {
    rows.push({ job: 'skipped: mpirun or build/Release/bert_mpi.node missing (apt-get install openmpi-bin libopenmpi-dev; npm run build:native)' });
    return { rows, raw };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bert-bench-mpi-'));
  const vocab = new Vocab(bertBaseUncasedTokens());
  const jobs: [PresetName, number, number, number][] = opts.quick ? [['mini', 32, 128, 5]] : [['mini', 32, 128, 6], ['base', 8, 128, 4]];
  for (const [config, batch, seq, steps] of jobs) {
    const model = new BertForTask(presetConfig(config, vocab.size), 'BertForPreTraining');
    model.initialize(1);
    const mdir = join(dir, config);
    saveModelDir(mdir, model, new Tokenizer(vocab, { lowercase: true }));
    const one = ours(1, config, batch, seq, steps), two = ours(2, config, batch, seq, steps);
    const tOne = torchDdp(mdir, 1, batch, seq, steps), tTwo = torchDdp(mdir, 2, batch, seq, steps);
    raw.push({ config, batch, seq, ours: { one, two }, torch: { one: tOne, two: tTwo } });
    const s = (m: Measured | string) => (typeof m === 'string' ? m : m.stepSeconds);
    const gb = (m: Measured | string) => (typeof m === 'string' || !m.bytes ? '' : (m.bytes / 1e6).toFixed(1));
    const ms = (x: number | null | undefined) => (x === undefined || x === null ? '' : (1000 * x).toFixed(1));
    rows.push({ job: `${config} ${batch}×${seq}: bert-cli 1 process × 2 threads`, 's/step': s(one) });
    if (typeof two === 'string') rows.push({ job: `${config}: bert-cli 2 ranks × 1 thread`, 's/step': two });
    else rows.push({ job: `${config}: bert-cli 2 ranks × 1 thread (${two.library})`, 's/step': two.stepSeconds, 'MB summed/step': gb(two), 'allreduce ms': ms(two.allreduceSeconds), 'exposed wait ms': ms(two.exposedWaitSeconds), '2 ranks ÷ 1 process (time)': typeof one === 'string' ? '' : two.stepSeconds / one.stepSeconds });
    rows.push({ job: `${config}: PyTorch 1 process × 2 threads`, 's/step': s(tOne), 'PyTorch ÷ bert-cli (time)': typeof tOne === 'string' || typeof one === 'string' ? '' : tOne.stepSeconds / one.stepSeconds });
    if (typeof tTwo === 'string') rows.push({ job: `${config}: PyTorch DDP gloo 2 ranks × 1 thread`, 's/step': tTwo });
    else rows.push({ job: `${config}: PyTorch DDP gloo 2 ranks × 1 thread`, 's/step': tTwo.stepSeconds, 'MB summed/step': gb(tTwo), 'allreduce ms': ms(tTwo.allreduceSeconds), 'PyTorch ÷ bert-cli (time)': typeof two === 'string' ? '' : tTwo.stepSeconds / two.stepSeconds });
  }
  return { rows, raw };
}
