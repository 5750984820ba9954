// Seeded data order: the same seed and epoch give the same permutation on every machine.
import { uniform } from '../model/params.js';

/** A permutation of 0..n−1 (Fisher–Yates over a seeded generator), different for each epoch. */
export function shuffledOrder(n: number, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const next = uniform(Math.imul(seed, 1000003) + Math.imul(epoch, 7919));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
