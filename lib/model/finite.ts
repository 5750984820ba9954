// Finding a NaN or an infinity in a large buffer, fast: the native sum of squares is finite when
// every value is and no square overflows (it can, for huge finite values), so a non-finite sum is
// confirmed by a scan that finds the first non-finite value.
import { native } from '../native.js';

/** The index of the first NaN or ±Inf in `x`, or −1. */
export function firstNonFinite(x: Float32Array): number {
  if (Number.isFinite(native.sumSquares(x))) return -1;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}
