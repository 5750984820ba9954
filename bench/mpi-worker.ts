// One rank of `npm run bench -- --only mpi` (run by bench/mpi.ts under mpirun, or alone): pretraining
// steps of BERT (MLM + NSP, fp32, dropout off) on random batches with the loop's data-parallel parts
// — gradient buckets summed as backward finishes them, AdamW — and, apart, a bare sum of the whole
// gradient arena in the same buckets. Prints rank 0's JSON line.
//   node --import tsx bench/mpi-worker.ts CONFIG BATCH_PER_RANK SEQ STEPS THREADS
import { presetConfig, type PresetName } from '../lib/config.js';
import { BertForTask } from '../lib/model/bert.js';
import { native } from '../lib/native.js';
import { communicator, GradientSum } from '../lib/train/distributed.js';
import { AdamW } from '../lib/train/optimizer.js';

const [config, batchArg, seqArg, stepsArg, threadsArg] = process.argv.slice(2);
const B = Number(batchArg), T = Number(seqArg), steps = Number(stepsArg);
const comm = communicator(120);
native.setNumThreads(Number(threadsArg));
const model = new BertForTask({ ...presetConfig(config as PresetName, 30522), hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }, 'BertForPreTraining');
model.initialize(1);
const opt = new AdamW(model.store, { lr: 1e-4, maxGradNorm: 1 });
const sum = new GradientSum(comm, () => model.store.grads, () => model.encoder.gradientRanges());
let seed = 1 + comm.rank;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const batch = () => {
  const ids = Int32Array.from({ length: B * T }, () => 5 + Math.floor(rnd() * 30000));
  const mlm = Int32Array.from(ids, (x) => (rnd() < 0.15 ? x : -100));
  return { batch: { B, T, inputIds: ids, typeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T).fill(1) }, targets: { mlmLabels: mlm, nspLabels: Int32Array.from({ length: B }, () => (rnd() < 0.5 ? 1 : 0)) } };
};
const stepTimes: number[] = [], waits: number[] = [];
for (let s = 0; s < steps; s++) {
  const { batch: b, targets } = batch();
  const t0 = performance.now();
  model.store.zeroGrad();
  model.encoder.gradientsDone = sum.hook();
  model.step(b, targets, { training: true, backward: true, shares: comm.size > 1 ? { mlm: 1 / comm.size, nsp: 1 / comm.size } : undefined });
  model.encoder.gradientsDone = null;
  const t1 = performance.now();
  sum.finish();
  const t2 = performance.now();
  opt.step(1e-4);
  stepTimes.push((performance.now() - t0) / 1000);
  waits.push((t2 - t1) / 1000);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let allreduceSeconds = NaN;
if (comm.size > 1) {
  const g = model.store.grads, times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (const [b, e] of model.encoder.gradientRanges()) comm.sumStart(g.subarray(b, e));
    comm.finish();
    times.push((performance.now() - t0) / 1000);
  }
  allreduceSeconds = Math.min(...times);
}
if (comm.rank === 0) {
  process.stdout.write(JSON.stringify({ ranks: comm.size, library: comm.library, stepSeconds: median(stepTimes.slice(2)), exposedWaitSeconds: median(waits.slice(2)), allreduceSeconds, bytes: 4 * model.store.size, buckets: model.encoder.gradientRanges().length }) + '\n');
}
comm.end();
