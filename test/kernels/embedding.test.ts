// Embedding gather and its scatter-add backward (repeated ids, padding_idx), against the reference
// and finite differences.
import { describe, it, expect, beforeAll } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { numericGrad, weighted } from '../helpers/finite-diff.js';
import { embeddingRef } from '../helpers/reference.js';
import { mulberry32, randomF32, randomInts } from '../helpers/random.js';

describe.each(native.availableIsas())('embedding on %s', (isa) => {
  beforeAll(() => native.setIsa(isa));

  it('forward gathers rows, and accumulates when asked', () => {
    const rand = mulberry32(4);
    for (const [R, C, V] of [[1, 1, 1], [9, 19, 5], [64, 128, 1000]]) {
      const ids = randomInts(R, V, rand), table = randomF32(V * C, rand);
      const out = new Float32Array(R * C);
      native.embeddingForward(out, ids, table, R, C, V, false);
      expect(Array.from(out)).toEqual(Array.from(embeddingRef(ids, table, C), Math.fround));
      const base = randomF32(R * C, rand), acc = base.slice();
      native.embeddingForward(acc, ids, table, R, C, V, true);
      expectClose(acc, Array.from(base, (v, i) => v + out[i]), { atol: 1e-7 });
    }
  });

  it('backward scatter-adds rows, skips padding_idx, and matches finite differences', () => {
    const rand = mulberry32(5);
    const [R, C, V] = [23, 13, 6];
    const ids = randomInts(R, V, rand); // with 23 ids over 6 rows, ids repeat
    ids[0] = 0; ids[1] = 0;
    const table = randomF32(V * C, rand), w = randomF32(R * C, rand);
    const num = numericGrad((t) => weighted(embeddingRef(ids, t, C), w), table);
    const dtable = new Float32Array(V * C);
    native.embeddingBackward(dtable, w, ids, R, C, V, -1);
    expectClose(dtable, num, { atol: 1e-5 }, 'no padding');
    const dpad = new Float32Array(V * C).fill(1);
    native.embeddingBackward(dpad, w, ids, R, C, V, 0);
    expect(Array.from(dpad.subarray(0, C))).toEqual(new Array(C).fill(1)); // row 0 untouched
    expectClose(dpad.subarray(C), Array.from(num.subarray(C), (v) => v + 1), { atol: 1e-5 }, 'padding_idx 0');
  });
});
