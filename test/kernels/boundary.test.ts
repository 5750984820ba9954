// The native boundary: a wrong type, length, dimension or index is a JS error naming the function
// and the argument, never a crash.
import { describe, it, expect } from 'vitest';
import { native } from '../../lib/native.js';

const f32 = (n: number) => new Float32Array(n);
const call = (f: () => unknown) => () => f();

describe('native argument checks', () => {
  it('gemm: buffer lengths name the argument and the shape', () => {
    expect(call(() => native.gemm(false, false, 4, 5, 6, 1, f32(23), f32(30), 0, f32(20), null)))
      .toThrow(/gemm: Expected Float32Array of length 24 \(M·K\) for A but received length 23/);
    expect(call(() => native.gemm(false, false, 4, 5, 6, 1, f32(24), f32(30), 0, f32(21), null)))
      .toThrow(/for C but received length 21/);
    expect(call(() => native.gemm(false, false, 4, 5, 6, 1, f32(24), f32(30), 0, f32(20), f32(4))))
      .toThrow(/of length 5 \(N\) for bias/);
  });

  it('types and dimensions', () => {
    expect(call(() => native.gemm(false, false, -3, 5, 6, 1, f32(0), f32(30), 0, f32(0), null)))
      .toThrow(RangeError);
    expect(call(() => native.gemm(false, false, -3, 5, 6, 1, f32(0), f32(30), 0, f32(0), null)))
      .toThrow(/Expected non-negative integer for M but received -3/);
    expect(call(() => native.gemm(false, false, 1.5, 5, 6, 1, f32(0), f32(30), 0, f32(0), null)))
      .toThrow(/integer for M/);
    expect(call(() => native.gemm(0 as unknown as boolean, false, 1, 1, 1, 1, f32(1), f32(1), 0, f32(1), null)))
      .toThrow(/Expected boolean for transA/);
    expect(call(() => native.gemm(false, false, 1, 1, 1, 1, new Float64Array(1) as unknown as Float32Array, f32(1), 0, f32(1), null)))
      .toThrow(/Expected Float32Array for A but received Float64Array/);
    expect(call(() => native.gemm(false, false, 1, 1, 1, NaN, f32(1), f32(1), 0, f32(1), null)))
      .toThrow(/finite number for alpha/);
    expect(call(() => (native.gemm as unknown as (...a: unknown[]) => void)(false, false)))
      .toThrow(/gemm: Expected 11 arguments but received 2/);
    expect(call(() => native.gemm(false, false, 2 ** 33, 1, 1, 1, f32(1), f32(1), 0, f32(1), null)))
      .toThrow(/integer for M/);
  });

  it('sizes whose product overflows are refused before any allocation', () => {
    const big = 2 ** 31;
    expect(call(() => native.gemm(false, false, big, big, big, 1, f32(1), f32(1), 0, f32(1), null)))
      .toThrow(/multiply past/);
  });

  it('ids and targets are range-checked', () => {
    expect(call(() => native.embeddingForward(f32(4), Int32Array.from([0, 3]), f32(6), 2, 2, 3, false)))
      .toThrow(/Expected ids\[1\] in \[0, 3\) but received 3/);
    expect(call(() => native.embeddingBackward(f32(6), f32(4), Int32Array.from([-1, 0]), 2, 2, 3, -1)))
      .toThrow(/ids\[0\]/);
    expect(call(() => native.softmaxCrossEntropy(null, null, f32(6), Int32Array.from([1, 3]), 2, 3, 1)))
      .toThrow(/targets\[1\] in \[0, 3\) or -100/);
    expect(call(() => native.embeddingBackward(f32(6), f32(4), Int32Array.from([1, 0]), 2, 2, 3, 3)))
      .toThrow(/paddingIdx/);
  });

  it('attention shapes, dropout range and seeds', () => {
    const [B, T, NH, HS] = [2, 3, 2, 4];
    const C = NH * HS;
    expect(call(() => native.attentionForward(f32(B * T * C), null, f32(B * T * C), null, B, T, NH, HS, 0, 0)))
      .toThrow(/length 144 \(B·T·3·NH·HS\) for qkv/);
    expect(call(() => native.attentionForward(f32(B * T * C), f32(B * NH * T * T), f32(3 * B * T * C), null, B, T, NH, HS, 1, 0)))
      .toThrow(/number in \[0, 1\) for dropoutP/);
    expect(call(() => native.attentionForward(f32(B * T * C), null, f32(3 * B * T * C), null, B, T, NH, HS, 0.1, 0)))
      .toThrow(/Expected probs/);
    expect(call(() => native.dropoutForward(f32(3), f32(3), 0.1, -1))).toThrow(/seed/);
    expect(() => native.dropoutForward(f32(3), f32(3), 0.1, 2n ** 64n - 1n)).not.toThrow();
    expect(call(() => native.dropoutForward(f32(3), f32(4), 0.1, 1))).toThrow(/length 3 \(N\) for x/);
  });

  it('engine settings', () => {
    expect(call(() => native.setIsa('sse9' as never))).toThrow(/unknown instruction set/);
    expect(call(() => native.setNumThreads(0))).toThrow(/positive integer for n/);
    expect(native.availableIsas()).toContain('scalar');
    expect(native.availableIsas()).toContain(native.isa());
  });

  it('allocF32: zeros of the asked length, small (malloc) and large (huge-page mapping) alike', () => {
    for (const n of [0, 1, 1000, 3 << 20, (8 << 20) / 4 + 5]) {
      const a = native.allocF32(n);
      expect(a).toBeInstanceOf(Float32Array);
      expect(a.length).toBe(n);
      let nonzero = 0;
      for (let i = 0; i < n; i += 4093) nonzero += a[i] !== 0 ? 1 : 0;
      expect(nonzero).toBe(0);
      if (n) {
        a[n - 1] = 2.5;
        a.fill(1, 0, Math.min(n, 1 << 20));
        expect([a[0], a[n - 1]]).toEqual([1, n - 1 < 1 << 20 ? 1 : 2.5]);
        expect(native.sumSquares(a.subarray(0, 10))).toBe(Math.min(n, 10));
      }
    }
    expect(call(() => native.allocF32(-1))).toThrow(/non-negative integer for n/);
    expect(call(() => native.allocF32(2 ** 53))).toThrow(/allocF32: n \(9007199254740992 floats\) is more than the 4294967296 one Float32Array holds/);
    expect(call(() => native.allocF32(1.5))).toThrow(/non-negative integer for n/);
  });

  it('allocF32 past 2^30 floats (4 GiB): a buffer, not a native abort (its external-buffer failure path freed twice)', () => {
    for (const n of [2 ** 30 + 16, 2 ** 31 + 3]) {
      const a = native.allocF32(n); // untouched pages: virtual memory only
      expect(a.length).toBe(n);
      expect(a[n - 1]).toBe(0);
    }
  });
});
