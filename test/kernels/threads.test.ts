// Every kernel splits work in fixed blocks that keep each output's summation order, so results are
// bit-identical for any thread count (a stronger promise than "same result for the same count").
import { describe, it, expect } from 'vitest';
import { native } from '../../lib/native.js';
import { mulberry32, randomF32, randomInts } from '../helpers/random.js';

function withThreads<T>(n: number, f: () => T): T {
  const saved = native.numThreads();
  native.setNumThreads(n);
  try {
    return f();
  } finally {
    native.setNumThreads(saved);
  }
}

describe('thread-count invariance', () => {
  it('attention, layernorm, embedding and loss kernels', () => {
    const rand = mulberry32(21);
    const [B, T, NH, HS] = [4, 33, 3, 16];
    const C = NH * HS, R = B * T, V = 97;
    const qkv = randomF32(B * T * 3 * C, rand), dout = randomF32(R * C, rand);
    const x = randomF32(R * C, rand), g = randomF32(C, rand), b = randomF32(C, rand);
    const ids = randomInts(R, V, rand), table = randomF32(V * C, rand);
    const logits = randomF32(R * V, rand), targets = randomInts(R, V, rand);
    const run = () => {
      const out = new Float32Array(R * C), probs = new Float32Array(B * NH * T * T), dqkv = new Float32Array(qkv.length);
      native.attentionForward(out, probs, qkv, null, B, T, NH, HS, 0.1, 5);
      native.attentionBackward(dqkv, dout, probs, qkv, B, T, NH, HS, 0.1, 5);
      const ln = new Float32Array(R * C), mean = new Float32Array(R), rstd = new Float32Array(R);
      native.layerNormForward(ln, mean, rstd, x, g, b, R, C, 1e-12);
      const dx = new Float32Array(R * C), dg = new Float32Array(C), db = new Float32Array(C);
      native.layerNormBackward(dx, dg, db, dout, x, mean, rstd, g, R, C, false);
      const dtable = new Float32Array(V * C);
      native.embeddingBackward(dtable, dout, ids, R, C, V, 0);
      const dl = new Float32Array(R * V);
      const ce = native.softmaxCrossEntropy(dl, null, logits, targets, R, V, 1);
      return { out, dqkv, ln, dx, dg, db, dtable, dl, loss: ce.loss };
    };
    const one = withThreads(1, run), two = withThreads(2, run), three = withThreads(3, run);
    expect(two).toEqual(one);
    expect(three).toEqual(one);
  });
});
