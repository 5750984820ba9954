// Data-parallel training over MPI, as a user launches it: `mpirun -np 2 bert-cli pretrain|finetune`.
// N ranks × batch B give the losses and weights of one process × batch N·B (to float rounding: the
// gradients of the two halves are summed in another order — measured ~1e-8 on these runs, checked
// at 1e-6), a checkpoint resumes on any number of ranks, two "hosts" (network namespaces joined by a
// veth pair, mpirun's rsh agent stepping into the other) train as one, and a rank killed mid-run or
// settings that differ between ranks end the job with one line per rank instead of a hang.
// Skipped where mpirun or the MPI addon is missing, unless BERT_REQUIRE_MPI=1 (CI).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { mpiAddonPath } from '../../lib/train/distributed.js';
import { CLI, runCli } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const haveMpi = spawnSync('mpirun', ['--version']).status === 0 && existsSync(mpiAddonPath());
if (process.env.BERT_REQUIRE_MPI === '1' && !haveMpi) throw new Error(`BERT_REQUIRE_MPI=1 but ${spawnSync('mpirun', ['--version']).status === 0 ? `${mpiAddonPath()} is not built` : 'mpirun is not installed (openmpi-bin)'}`);

// as root mpirun needs --allow-run-as-root; two ranks on a 2-core machine that also runs vitest: --oversubscribe
const MPIRUN = ['--allow-run-as-root', '--oversubscribe', '--quiet'];

function mpirun(args: string[], opts: { env?: Record<string, string>; timeout?: number; netns?: string } = {}) {
  const cmd = opts.netns ? 'ip' : 'mpirun';
  const argv = opts.netns ? ['netns', 'exec', opts.netns, 'mpirun', ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: opts.timeout ?? 180_000, killSignal: 'SIGKILL', maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Two ranks of `bert-cli args…` on this machine. */
const twoRanks = (args: string[], env?: Record<string, string>) => mpirun([...MPIRUN, '-np', '2', process.execPath, CLI, ...args], { env });

function corpus(dir: string): { text: string; cfg: string; train: string; dev: string } {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const words = 'the war peace congress nation people law trade tax navy army state union power free world'.split(' ');
  const sentence = (lo: number, hi: number) => Array.from({ length: lo + Math.floor(rnd() * (hi - lo)) }, () => words[Math.floor(rnd() * words.length)]).join(' ');
  const text = join(dir, 'corpus.txt'), cfg = join(dir, 'config.json'), train = join(dir, 'train.tsv'), dev = join(dir, 'dev.tsv');
  writeFileSync(text, Array.from({ length: 60 }, () => Array.from({ length: 6 }, () => sentence(5, 12) + ' .').join('\n')).join('\n\n') + '\n');
  writeFileSync(cfg, JSON.stringify({ hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, type_vocab_size: 2, vocab_size: 1 }));
  // 40 training examples: with 2 ranks × 4 the last global batch of each epoch is split 4 + 4; dev's 13 split 7 + 6
  writeFileSync(train, 'text\tlabel\n' + Array.from({ length: 40 }, (_, i) => `${sentence(3, 9)}\t${i % 3 ? 'a' : 'b'}`).join('\n') + '\n');
  writeFileSync(dev, 'text\tlabel\n' + Array.from({ length: 13 }, (_, i) => `${sentence(3, 9)}\t${i % 3 ? 'a' : 'b'}`).join('\n') + '\n');
  return { text, cfg, train, dev };
}

const metrics = (out: string, type = 'train') => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === type);

/** Largest |a − b| over every tensor of two model directories. */
function weightGap(a: string, b: string): number {
  const ta = readSafetensors(join(a, 'model.safetensors')), tb = readSafetensors(join(b, 'model.safetensors'));
  expect([...ta.keys()].sort()).toEqual([...tb.keys()].sort());
  let gap = 0;
  for (const [k, t] of ta) {
    const x = t.data, y = tb.get(k)!.data;
    for (let i = 0; i < x.length; i++) gap = Math.max(gap, Math.abs(x[i] - y[i]));
  }
  return gap;
}

function expectSameLosses(a: { loss: number }[], b: { loss: number }[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((r, i) => expect(Math.abs(r.loss - b[i].loss)).toBeLessThan(1e-6 * Math.abs(b[i].loss)));
}

describe.skipIf(!haveMpi)('mpirun: data-parallel training', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bert-cli-mpi-'));
  const c = corpus(dir);
  const pre = (out: string, batch: number, extra: string[] = []) => ['pretrain', c.text, '--vocab-size', '60', '--config', c.cfg, '--steps', '6', '--batch-size', String(batch), '--max-length', '32', '--dtype', 'fp32', '--out', out, '--quiet', ...extra];
  const one = join(dir, 'one');

  it('pretraining: 2 ranks × batch 4 give the losses and weights of 1 process × batch 8; rank 0 alone writes', () => {
    // the held-out set: every instance of the corpus (fewer than 50 batches' worth, the default, of either size)
    expect(runCli(pre(one, 8, ['--eval', c.text])).code).toBe(0);
    const two = join(dir, 'two');
    const r = twoRanks(pre(two, 4, ['--eval', c.text, '--json']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1); // one summary, rank 0's
    expectSameLosses(metrics(two), metrics(one));
    expect(weightGap(one, two)).toBeLessThan(1e-6);
    // held-out evaluation split across the ranks and summed: the same figures as one process
    const [e1, e2] = [metrics(one, 'eval').at(-1), metrics(two, 'eval').at(-1)];
    expect(e2.instances).toBe(e1.instances);
    expect(e2.mlmAccuracy).toBeCloseTo(e1.mlmAccuracy, 9);
    expect(Math.abs(e2.mlmLoss - e1.mlmLoss)).toBeLessThan(1e-6);
    expect(JSON.parse(readFileSync(join(two, 'training_state.json'), 'utf8')).step).toBe(6);
  });

  it('fine-tuning: 2 ranks × batch 4 give the losses, dev scores and weights of 1 process × batch 8', () => {
    const ft = (out: string, batch: number) => ['finetune', '--model', one, '--task', 'classify', '--train', c.train, '--dev', c.dev, '--epochs', '2', '--max-length', '16', '--dtype', 'fp32', '--dropout', '0', '--batch-size', String(batch), '--out', out, '--quiet'];
    const [a, b] = [join(dir, 'ft-one'), join(dir, 'ft-two')];
    expect(runCli(ft(a, 8)).code).toBe(0);
    const r = twoRanks(ft(b, 4));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectSameLosses(metrics(b), metrics(a));
    const [da, db] = [metrics(a, 'dev'), metrics(b, 'dev')];
    expect(db.map((d) => d.score)).toEqual(da.map((d) => d.score));
    db.forEach((d, i) => expect(Math.abs(d.loss - da[i].loss)).toBeLessThan(1e-6));
    expect(weightGap(a, b)).toBeLessThan(1e-6);
  });

  // a run stopped after step 3 by the library's shouldStop (agreed by every rank before a step)
  const stopAt3 = (out: string, batch: number) => {
    const driver = join(dir, 'stop-at-3.mjs');
    writeFileSync(driver, `import { pretrain } from ${JSON.stringify(join(ROOT, 'dist', 'lib', 'index.js'))};
      let done = 0;
      const r = await pretrain({ files: [${JSON.stringify(c.text)}], vocabSize: 60, config: ${JSON.stringify(c.cfg)}, steps: 6, batchSize: ${batch}, maxLength: 32, dtype: 'fp32', out: ${JSON.stringify(out)},
        onStep: (s) => { done = s.step; }, shouldStop: () => done >= 3 });
      if (!r.stopped || r.steps !== 3) throw new Error('did not stop at 3: ' + JSON.stringify(r));`);
    return driver;
  };

  it('a 2-rank checkpoint resumes on 1 process, and a 1-process checkpoint on 2 ranks, with the uninterrupted losses', () => {
    const [a, b] = [join(dir, 'resume-on-one'), join(dir, 'resume-on-two')];
    const r1 = mpirun([...MPIRUN, '-np', '2', process.execPath, stopAt3(a, 4)]);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    expect(runCli([...pre(a, 8), '--resume']).code).toBe(0);
    const r2 = spawnSync(process.execPath, [stopAt3(b, 8)], { encoding: 'utf8' });
    expect(r2.status).toBe(0);
    const r3 = twoRanks([...pre(b, 4), '--resume']);
    expect(r3.stderr).toBe('');
    expect(r3.code).toBe(0);
    for (const out of [a, b]) {
      expectSameLosses(metrics(out), metrics(one));
      expect(weightGap(out, one)).toBeLessThan(1e-6);
    }
  });

  it('across hosts: two network namespaces joined by a veth pair, one rank in each, over TCP', () => {
    const tag = `b${process.pid % 100000}`;
    const [h1, h2] = [`${tag}h1`, `${tag}h2`];
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
    const made = sh(`ip netns add ${h1} && ip netns add ${h2} && ip link add ${tag}v1 type veth peer name ${tag}v2 && ip link set ${tag}v1 netns ${h1} && ip link set ${tag}v2 netns ${h2}` +
      ` && ip -n ${h1} addr add 10.79.0.1/24 dev ${tag}v1 && ip -n ${h2} addr add 10.79.0.2/24 dev ${tag}v2` +
      ` && ip -n ${h1} link set ${tag}v1 up && ip -n ${h2} link set ${tag}v2 up && ip -n ${h1} link set lo up && ip -n ${h2} link set lo up`);
    try {
      expect(made.stderr).toBe('');
      // mpirun runs in the first namespace; its rsh agent starts the second host's daemon in the other
      const agent = join(dir, 'netns-rsh');
      const launched = join(dir, 'launched-on');
      writeFileSync(agent, `#!/bin/sh\nhost="$1"; shift\necho "$host" >> ${launched}\ncase "$host" in 10.79.0.2) exec ip netns exec ${h2} sh -c "$*" ;; *) echo "no such host $host" >&2; exit 1 ;; esac\n`);
      chmodSync(agent, 0o755);
      const out = join(dir, 'two-hosts');
      const r = mpirun([...MPIRUN, '-H', '10.79.0.1,10.79.0.2', '-np', '2', '--mca', 'plm_rsh_agent', agent, '--mca', 'oob_tcp_if_include', '10.79.0.0/24',
        '--mca', 'btl_tcp_if_include', '10.79.0.0/24', '--mca', 'btl', 'tcp,self', process.execPath, CLI, ...pre(out, 4)], { netns: h1 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(readFileSync(launched, 'utf8').trim()).toBe('10.79.0.2');
      expectSameLosses(metrics(out), metrics(one));
      expect(weightGap(out, one)).toBeLessThan(1e-6);
    } finally {
      sh(`ip netns del ${h1}; ip netns del ${h2}`);
    }
  });

  it('a rank killed mid-run ends the job within the timeout, with a line naming the wait; the checkpoint resumes', async () => {
    const out = join(dir, 'killed');
    const child = spawn('mpirun', [...MPIRUN, '-np', '2', process.execPath, CLI, ...pre(out, 4), '--steps', '1000000', '--save-every', '20'], {
      env: { ...process.env, BERT_MPI_TIMEOUT: '20' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // wait for a checkpoint, then kill rank 1 (the process whose environment says so)
    for (let i = 0; i < 600 && !existsSync(join(out, 'training_state.json')); i++) await new Promise((r) => setTimeout(r, 100));
    const rank1 = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).find((p) => {
      try {
        const env = readFileSync(`/proc/${p}/environ`, 'utf8');
        return env.includes('OMPI_COMM_WORLD_RANK=1\0') && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(out);
      } catch {
        return false;
      }
    });
    expect(rank1).toBeDefined();
    process.kill(Number(rank1), 'SIGKILL');
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000); // the test's own bound: the job must end well before
    const code = await exited;
    clearTimeout(killer);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull(); // ended by itself, not by the test
    // mpirun notices the death and ends the job, naming the rank; a survivor that outlives its grace says what it waited for
    expect(stderr).toMatch(/mpirun noticed that process rank 1 with PID \d+ on node \S+ exited on signal 9 \(Killed\)|^bert-cli: error: rank 0 of 2: (stopped by SIGTERM while waiting for|no answer from the other ranks in \d+ s while waiting for)/m);
    const resumed = runCli([...pre(out, 8), '--resume', '--steps', String(JSON.parse(readFileSync(join(out, 'training_state.json'), 'utf8')).step + 2)]);
    expect(resumed.code).toBe(0);
  }, 120_000);

  it('ranks started with different settings are refused before a step, one line each', () => {
    const r = mpirun([...MPIRUN, '-np', '1', process.execPath, CLI, ...pre(join(dir, 'differ'), 4, ['--lr', '1e-3']), ':', '-np', '1', process.execPath, CLI, ...pre(join(dir, 'differ'), 4, ['--lr', '2e-3'])]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('bert-cli: error:')).sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('bert-cli: error: rank 0 of 2: a rank runs other settings than rank 0 (its line says which)');
    expect(lines[1]).toMatch(/^bert-cli: error: rank 1 of 2: its options differ from rank 0's \(.*"lr":0\.002.* here, .*"lr":0\.001.* there\)/);
    expect(existsSync(join(dir, 'differ', 'metrics.jsonl')) && readFileSync(join(dir, 'differ', 'metrics.jsonl'), 'utf8')).toBeFalsy();
  });

  it('corpora of the same name and size but other contents on two "hosts" are refused by their hashes', () => {
    // each rank in its own working directory, as on two machines: corpus.txt there differs in one byte
    const [a, b] = ['host-a', 'host-b'].map((h) => join(dir, h));
    for (const h of [a, b]) mkdirSync(h, { recursive: true });
    const text = readFileSync(c.text, 'utf8');
    writeFileSync(join(a, 'corpus.txt'), text);
    writeFileSync(join(b, 'corpus.txt'), text.replace('the', 'tha'));
    // one vocabulary for both, so that only the corpus differs
    const vocab = join(dir, 'hashes-vocab.txt');
    expect(runCli(['vocab', c.text, '--size', '60', '-o', vocab, '--quiet']).code).toBe(0);
    const own = pre(join(dir, 'hashes'), 4).map((x) => (x === c.text ? 'corpus.txt' : x));
    own.splice(own.indexOf('--vocab-size'), 2, '--vocab', vocab);
    const args = (h: string) => ['-np', '1', '-wdir', h, process.execPath, CLI, ...own];
    const r = mpirun([...MPIRUN, ...args(a), ':', ...args(b)]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('bert-cli: error:')).sort();
    expect(lines[1]).toMatch(/^bert-cli: error: rank 1 of 2: its files differ from rank 0's/);
  });

  it('a build without the MPI addon says so on every rank instead of training N copies alone', () => {
    const r = twoRanks(pre(join(dir, 'no-addon'), 4), { BERT_MPI_PATH: join(dir, 'absent', 'bert_mpi.node') });
    expect(r.code).not.toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('bert-cli: error:')).sort();
    expect(lines).toHaveLength(2);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^bert-cli: error: rank ${i} of 2: this build of bert-cli has no MPI support`)));
  });
});
