// Bag-of-words baselines for text classification, to put a fine-tuned BERT's figures in context:
// multinomial Naive Bayes (add-one smoothing) and logistic regression (L2, full-batch gradient
// descent on tf-idf-free binary features), over lowercased word tokens.
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9$€£!]+(?:'[a-z]+)?/g) ?? [];
}

export function naiveBayes(train: { text: string; label: number }[], K: number): (text: string) => number {
  const counts = Array.from({ length: K }, () => new Map<string, number>());
  const totals = new Array(K).fill(0), docs = new Array(K).fill(0);
  const vocab = new Set<string>();
  for (const x of train) {
    docs[x.label]++;
    for (const w of words(x.text)) {
      counts[x.label].set(w, (counts[x.label].get(w) ?? 0) + 1);
      totals[x.label]++;
      vocab.add(w);
    }
  }
  const V = vocab.size;
  return (text) => {
    let best = 0, bestScore = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = Math.log(docs[k] / train.length);
      for (const w of words(text)) if (vocab.has(w)) s += Math.log(((counts[k].get(w) ?? 0) + 1) / (totals[k] + V));
      if (s > bestScore) { bestScore = s; best = k; }
    }
    return best;
  };
}

/** Binary logistic regression over word-presence features (words seen at least twice). */
export function logisticRegression(train: { text: string; label: number }[], opts = { epochs: 60, lr: 0.5, l2: 1e-4 }): (text: string) => number {
  const df = new Map<string, number>();
  for (const x of train) for (const w of new Set(words(x.text))) df.set(w, (df.get(w) ?? 0) + 1);
  const index = new Map<string, number>();
  for (const [w, c] of df) if (c >= 2) index.set(w, index.size);
  const feats = (text: string) => [...new Set(words(text))].map((w) => index.get(w)).filter((i): i is number => i !== undefined);
  const X = train.map((x) => feats(x.text));
  const w = new Float64Array(index.size);
  let b = 0;
  for (let e = 0; e < opts.epochs; e++) {
    const g = new Float64Array(index.size);
    let gb = 0;
    X.forEach((f, i) => {
      let z = b;
      for (const j of f) z += w[j];
      const d = 1 / (1 + Math.exp(-z)) - train[i].label;
      for (const j of f) g[j] += d;
      gb += d;
    });
    for (let j = 0; j < w.length; j++) w[j] -= opts.lr * (g[j] / X.length + opts.l2 * w[j]);
    b -= (opts.lr * gb) / X.length;
  }
  return (text) => {
    let z = b;
    for (const j of feats(text)) z += w[j];
    return z > 0 ? 1 : 0;
  };
}

/**
 * Logistic regression on how much two texts share — TF-IDF cosine and the fraction of shared words —
 * plus their lengths: the word-overlap reference for sentence-pair tasks (next sentence or not).
 * Full-batch gradient descent on five features: nothing to tune.
 */
export function overlapRegression(train: { a: string; b: string; label: number }[]): (a: string, b: string) => number {
  const df = new Map<string, number>();
  for (const x of train) for (const w of new Set([...words(x.a), ...words(x.b)])) df.set(w, (df.get(w) ?? 0) + 1);
  const idf = (w: string) => Math.log((train.length + 1) / ((df.get(w) ?? 0) + 1));
  const bag = (t: string) => {
    const m = new Map<string, number>();
    for (const w of words(t)) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  };
  const features = (a: string, b: string): number[] => {
    const A = bag(a), B = bag(b);
    let dot = 0, na = 0, nb = 0, shared = 0;
    for (const [w, c] of A) {
      na += (c * idf(w)) ** 2;
      const cb = B.get(w);
      if (cb !== undefined) { dot += c * cb * idf(w) ** 2; shared++; }
    }
    for (const [w, c] of B) nb += (c * idf(w)) ** 2;
    return [dot / Math.sqrt(na * nb + 1e-12), shared / Math.sqrt(A.size * B.size + 1e-12), A.size / 50, B.size / 50, 1];
  };
  const X = train.map((x) => features(x.a, x.b));
  const w = new Float64Array(5);
  const z = (f: number[]) => f.reduce((s, v, j) => s + v * w[j], 0);
  for (let it = 0; it < 500; it++) {
    const g = new Float64Array(5);
    X.forEach((f, i) => {
      const d = 1 / (1 + Math.exp(-z(f))) - train[i].label;
      f.forEach((v, j) => (g[j] += d * v));
    });
    g.forEach((v, j) => (w[j] -= (2 * v) / X.length));
  }
  return (a, b) => (z(features(a, b)) > 0 ? 1 : 0);
}
