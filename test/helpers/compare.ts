// Closeness with a stated tolerance: |got − want| ≤ atol + rtol·|want| for every element. On failure
// the message names the max difference and the first mismatching index with both values.
import { expect } from 'vitest';

type Num = ArrayLike<number>;

export function maxAbsDiff(got: Num, want: Num): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
}

export function expectClose(got: Num, want: Num, tol: { atol: number; rtol?: number }, what = 'values'): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const rtol = tol.rtol ?? 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= tol.atol + rtol * Math.abs(want[i]))) {
      if (first < 0) first = i;
    }
    if (!(d <= worst)) worst = d;
  }
  if (first >= 0) {
    throw new Error(
      `${what}: max |diff| ${worst.toExponential(3)} over atol ${tol.atol} rtol ${rtol}; ` +
        `first mismatch at [${first}]: got ${got[first]}, want ${want[first]}`,
    );
  }
}
