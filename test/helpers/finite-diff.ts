// Central finite differences in float64: d f / d x[i] ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h, where f is
// a float64 reference forward reduced to a scalar. Native backward kernels are checked against it.
export function numericGrad(
  f: (x: Float64Array) => number,
  x: ArrayLike<number>,
  indices?: number[],
  h = 1e-5,
): Float64Array {
  const xs = Float64Array.from(x);
  const g = new Float64Array(xs.length);
  const idx = indices ?? Array.from({ length: xs.length }, (_, i) => i);
  for (const i of idx) {
    const old = xs[i];
    xs[i] = old + h;
    const up = f(xs);
    xs[i] = old - h;
    const down = f(xs);
    xs[i] = old;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Σ w ⊙ y: a scalar whose gradient with respect to y is w. */
export function weighted(y: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * w[i];
  return s;
}

/** A spread of indices to probe in a large buffer: ends, and a seeded sample between. */
export function probeIndices(n: number, count: number, rand: () => number): number[] {
  const set = new Set<number>([0, n - 1]);
  while (set.size < Math.min(n, count)) set.add(Math.floor(rand() * n));
  return [...set].sort((a, b) => a - b);
}

export function pick(a: ArrayLike<number>, idx: number[]): number[] {
  return idx.map((i) => a[i]);
}
