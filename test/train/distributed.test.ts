// The parts of data-parallel training that need no MPI: how a global batch is shared out, that the
// loss shares make the ranks' gradients add up to the whole batch's (the arithmetic mpirun's sum
// relies on), that the gradient buckets cover the arena once in backward's order, and the start-up
// agreement's verdicts, on a communicator faked in-process. test/cli/mpi.test.ts runs the real thing.
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../../lib/config.js';
import { BertForTask } from '../../lib/model/bert.js';
import { agreeToStart, launchedRank, share, shareOf, SINGLE_PROCESS, type Communicator } from '../../lib/train/distributed.js';

describe('data-parallel arithmetic', () => {
  it('share: contiguous parts in rank order, sizes within one, covering every item once', () => {
    for (const n of [0, 1, 7, 8, 13]) for (const size of [1, 2, 3, 5]) {
      const parts = Array.from({ length: size }, (_, r) => share(n, r, size));
      expect(parts[0][0]).toBe(0);
      expect(parts[size - 1][1]).toBe(n);
      parts.forEach(([b, e], r) => {
        if (r) expect(b).toBe(parts[r - 1][1]);
        expect(e - b === Math.floor(n / size) || e - b === Math.ceil(n / size)).toBe(true);
      });
    }
  });

  it('launchedRank reads Open MPI\'s and PMI launchers\' variables, and nothing else', () => {
    expect(launchedRank({})).toBeNull();
    expect(launchedRank({ OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '2' })).toEqual({ rank: 2, size: 4 });
    expect(launchedRank({ PMI_SIZE: '2', PMI_RANK: '1' })).toEqual({ rank: 1, size: 2 });
    expect(launchedRank({ OMPI_COMM_WORLD_SIZE: 'x', OMPI_COMM_WORLD_RANK: '0' })).toBeNull();
  });

  // the batch of 4 split 2 + 2 as two ranks would take it: each half's step with its shares of the
  // masked tokens and NSP pairs, gradients added, equals the whole batch's step (float rounding)
  it('loss shares: the halves of a batch add up to the whole batch\'s loss and gradients (MLM + NSP, unequal masks)', () => {
    const cfg = { ...presetConfig('tiny', 50), hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
    const m = new BertForTask(cfg, 'BertForPreTraining');
    m.initialize(3);
    const T = 6, B = 4;
    const ids = Int32Array.from({ length: B * T }, (_, i) => 5 + ((i * 7) % 40));
    const mlm = new Int32Array(B * T).fill(-100);
    [1, 3, 7, 8, 9, 14, 20].forEach((i) => (mlm[i] = (i * 3) % 50)); // 5 masked in the first half, 2 in the second
    const nsp = Int32Array.from([0, 1, 1, 0]);
    const batchOf = (b0: number, b1: number) => ({
      batch: { B: b1 - b0, T, inputIds: ids.slice(b0 * T, b1 * T), typeIds: new Int32Array((b1 - b0) * T), attentionMask: new Int32Array((b1 - b0) * T).fill(1) },
      targets: { mlmLabels: mlm.slice(b0 * T, b1 * T), nspLabels: nsp.slice(b0, b1) },
    });
    const whole = batchOf(0, 4);
    m.store.zeroGrad();
    const full = m.step(whole.batch, whole.targets, { training: true, backward: true });
    const want = Float64Array.from(m.store.grads);
    const sum = new Float64Array(want.length);
    let loss = 0;
    const masked = (a: Int32Array) => a.filter((x) => x !== -100).length;
    for (const [b0, b1] of [[0, 2], [2, 4]]) {
      const h = batchOf(b0, b1);
      m.store.zeroGrad();
      const r = m.step(h.batch, h.targets, { training: true, backward: true, shares: { mlm: shareOf(masked(h.targets.mlmLabels), 7), nsp: shareOf(2, 4) } });
      loss += r.loss;
      m.store.grads.forEach((g, i) => (sum[i] += g));
    }
    expect(Math.abs(loss - full.loss)).toBeLessThan(1e-6 * full.loss);
    let gap = 0, scale = 0;
    for (let i = 0; i < want.length; i++) {
      gap = Math.max(gap, Math.abs(sum[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    expect(gap).toBeLessThan(1e-5 * scale);
    // without the shares (each half's own mean) the sum is not the whole batch's: the test can fail
    m.store.zeroGrad();
    const h = batchOf(0, 2);
    expect(Math.abs(m.step(h.batch, h.targets, { training: true, backward: false }).loss * 0.5 - full.loss * 5 / 7)).toBeGreaterThan(1e-3);
  });

  it('gradient buckets: backward reports every range of the arena once, heads first, embeddings last', () => {
    const m = new BertForTask(presetConfig('tiny', 50), 'BertForSequenceClassification');
    m.initialize(1);
    const ranges = m.encoder.gradientRanges();
    const seen: [number, number][] = [];
    m.encoder.gradientsDone = (b, e) => seen.push([b, e]);
    const batch = { B: 2, T: 4, inputIds: Int32Array.from([2, 5, 6, 3, 2, 7, 3, 0]), typeIds: new Int32Array(8), attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0]) };
    m.step(batch, { labels: Int32Array.from([0, 1]) }, { training: true, backward: true });
    expect(seen).toEqual(ranges);
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    expect(sorted[0][0]).toBe(0);
    sorted.forEach(([b], i) => i && expect(b).toBe(sorted[i - 1][1]));
    expect(sorted.at(-1)![1]).toBe(m.store.size);
    expect(ranges.at(-1)![0]).toBe(0); // the embeddings (with the tied decoder's share) come last
  });
});

/** Two ranks played by one process: rank 1's view, with rank 0's settings and failure given. */
function fakeRank1(rank0: { failed: boolean; settings: Record<string, unknown> }): Communicator {
  return {
    ...SINGLE_PROCESS, rank: 1, size: 2,
    sum: (v) => { v[0] += rank0.failed ? 1 : 0; }, // the failure flag, then the differs flag (rank 0's own is 0 here)
    fromRankZero: <T>() => JSON.stringify(rank0.settings) as T,
  };
}

describe('agreeToStart', () => {
  it('alone: its own failure only', () => {
    expect(() => agreeToStart(SINGLE_PROCESS, null, { a: 1 })).not.toThrow();
    expect(() => agreeToStart(SINGLE_PROCESS, new Error('mine'), {})).toThrow('mine');
  });

  it('a rank that failed elsewhere, or settings that differ from rank 0\'s, stop this rank with a line saying so', () => {
    expect(() => agreeToStart(fakeRank1({ failed: false, settings: { lr: 1 } }), null, { lr: 1 })).not.toThrow();
    expect(() => agreeToStart(fakeRank1({ failed: true, settings: {} }), null, { lr: 1 })).toThrow('rank 1 of 2: another rank could not start (its line says why)');
    expect(() => agreeToStart(fakeRank1({ failed: false, settings: { lr: 1, seed: 2 } }), null, { lr: 1, seed: 3 })).toThrow("rank 1 of 2: its seed differs from rank 0's (3 here, 2 there)");
  });
});
