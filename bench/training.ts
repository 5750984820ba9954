// Training and inference steps, bert-cli beside PyTorch CPU (Debian's python3-torch, run as a
// child process with OMP_WAIT_POLICY=PASSIVE, which it needs on 2 cores) on the same model shape,
// batch, sequence length and thread count: fine-tuning (sequence classification) of mini at batch
// 32 and of base at batch 8, MLM + NSP pretraining of mini at batch 32 (bert-cli computes the MLM
// decoder at the masked rows only; PyTorch, as HF, at every row), encoder inference. Ratios are
// PyTorch's time over ours: above 1, bert-cli is faster. Each side runs in a process of its own, so
// that the peak RSS beside the speed is the job's alone (Node's or Python's own start-up included).
// Where the CPU has AVX512_BF16, the training jobs and mini inference run again in bf16 mixed
// precision (`--dtype bf16`), beside PyTorch under torch.autocast("cpu", torch.bfloat16).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig, validateConfig, type PresetName } from '../lib/config.js';
import { BertForTask } from '../lib/model/bert.js';
import { native } from '../lib/native.js';
import { AdamW } from '../lib/train/optimizer.js';
import type { Row } from './table.js';
import { runChild, vmHwmMiB } from './timing.js';

interface Job { mode: 'pretrain' | 'finetune' | 'infer'; preset: PresetName; B: number; T: number; steps: number; dtype?: 'bf16' }

function runJob(job: Job): { s: number; rss: number } {
  const cfg = validateConfig({ ...presetConfig(job.preset, 30522), id2label: { 0: 'a', 1: 'b' } });
  const arch = job.mode === 'pretrain' ? 'BertForPreTraining' : job.mode === 'finetune' ? 'BertForSequenceClassification' : 'BertModel';
  const m = new BertForTask(cfg, arch);
  m.initialize(1);
  if (job.dtype === 'bf16') {
    if (job.mode === 'infer') m.encoder.setDtype('bf16');
    else m.setTrainingDtype('bf16');
  }
  const opt = new AdamW(m.store, { lr: 1e-4, maxGradNorm: 1 });
  const R = job.B * job.T;
  const batch = { B: job.B, T: job.T, inputIds: Int32Array.from({ length: R }, (_, i) => 1 + ((i * 7919) % 30000)), typeIds: new Int32Array(R), attentionMask: new Int32Array(R).fill(1) };
  const mlmLabels = Int32Array.from({ length: R }, (_, i) => ((i % job.T) % 7 === 0 ? batch.inputIds[i] : -100));
  const nspLabels = Int32Array.from({ length: job.B }, (_, i) => i % 2), labels = nspLabels;
  const run = () => {
    if (job.mode === 'infer') return void m.step(batch, null, { training: false });
    m.store.zeroGrad();
    m.step(batch, job.mode === 'pretrain' ? { mlmLabels, nspLabels } : { labels }, { training: true, backward: true, seed: 1n });
    opt.step(1e-4);
  };
  run();
  run();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < job.steps; i++) run();
  return { s: Number(process.hrtime.bigint() - t0) / 1e9 / job.steps, rss: vmHwmMiB() };
}

/** The job in a child Node process (same loader flags as this one): its time per step and its peak RSS. */
function ours(job: Job): { s: number; rss: number } {
  return runChild(import.meta.url, [JSON.stringify(job)], { ...process.env, BERT_NUM_THREADS: String(native.numThreads()) });
}

if (process.argv[2] === '--child') process.stdout.write(JSON.stringify(runJob(JSON.parse(process.argv[3]))) + '\n');

function torchPeer(job: Job): { s: number; rss: number } | string {
  if (!existsSync('/usr/bin/python3')) return 'skipped (no /usr/bin/python3)';
  const [L, H, NH] = { tiny: [2, 128, 2], mini: [4, 256, 4], small: [4, 512, 8], medium: [8, 512, 8], base: [12, 768, 12], large: [24, 1024, 16] }[job.preset];
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'peers', 'torch_bert.py'), job.mode, String(L), String(H), String(NH), '30522', String(job.B), String(job.T), String(job.steps), String(native.numThreads()), job.dtype ?? 'fp32'], {
    encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, timeout: 1_800_000,
  });
  if (r.status !== 0) return /No module named 'torch'/.test(r.stderr) ? 'skipped (apt-get install python3-torch)' : `failed: ${r.stderr.trim().split('\n').pop()}`;
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { s: out.seconds_per_step, rss: out.peak_rss_mib };
}

export function benchTraining(opts: { quick: boolean }): { rows: Row[]; raw: unknown[] } {
  const jobs: Job[] = opts.quick
    ? [{ mode: 'finetune', preset: 'mini', B: 32, T: 128, steps: 3 }, { mode: 'pretrain', preset: 'mini', B: 32, T: 128, steps: 3 }]
    : [
      { mode: 'infer', preset: 'mini', B: 32, T: 128, steps: 10 },
      { mode: 'infer', preset: 'base', B: 8, T: 128, steps: 5 },
      { mode: 'finetune', preset: 'mini', B: 32, T: 128, steps: 10 },
      { mode: 'pretrain', preset: 'mini', B: 32, T: 128, steps: 10 },
      { mode: 'finetune', preset: 'base', B: 8, T: 128, steps: 5 },
    ];
  if (native.bf16Supported()) jobs.push(...jobs.filter((j) => j.mode !== 'infer' || j.preset === 'mini').map((j) => ({ ...j, dtype: 'bf16' as const })));
  const rows: Row[] = [];
  const raw: unknown[] = [];
  const fp32Time = new Map<string, number>();
  for (const job of jobs) {
    const a = ours(job);
    const p = torchPeer(job);
    const tokens = job.B * job.T;
    const name = `${job.mode} ${job.preset} ${job.B}×${job.T}`;
    if (!job.dtype) fp32Time.set(name, a.s);
    rows.push({
      job: job.dtype ? `${name} bf16 (PyTorch: autocast)` : name,
      'bert-cli tok/s': tokens / a.s,
      'PyTorch tok/s': typeof p === 'string' ? p : tokens / p.s,
      'ratio (target ≥ 1.3)': typeof p === 'string' ? 'n/a' : p.s / a.s,
      'bf16 ÷ our fp32': job.dtype && fp32Time.has(name) ? fp32Time.get(name)! / a.s : '',
      'peak RSS MiB bert-cli': a.rss,
      'peak RSS MiB PyTorch': typeof p === 'string' ? 'n/a' : p.rss,
      'RSS ratio (target ≤ 1)': typeof p === 'string' ? 'n/a' : a.rss / p.rss,
    });
    raw.push({ job, ours_s: a.s, peer: p });
  }
  return { rows, raw };
}
