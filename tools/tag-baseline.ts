// Two classical references for tagging, with the token accuracy bert-cli eval prints for tag models:
//   · the most frequent tag of each word in training (unseen words: the most frequent tag overall);
//   · a linear tagger over window features — the word, its neighbours two either side, prefixes and
//     suffixes up to 3 characters, shape (capitals, digits, hyphens) — trained as an averaged
//     perceptron (Collins 2002), 5 passes, greedy left to right with the previous two tags as features.
// Run: npx tsx tools/tag-baseline.ts data/brown/train.conll data/brown/test.conll
import { readTagged, taggingMetrics } from '../lib/tasks/tag.js';

const [trainPath, testPath] = process.argv.slice(2);
if (!trainPath || !testPath) throw new Error('usage: tools/tag-baseline.ts TRAIN.conll TEST.conll');
const train = readTagged(trainPath).sentences, test = readTagged(testPath).sentences;
const gold = test.map((s) => s.tags!);

// most frequent tag per word
const counts = new Map<string, Map<string, number>>(), overall = new Map<string, number>();
for (const s of train) s.words.forEach((w, i) => {
  const key = w.toLowerCase(), t = s.tags![i];
  if (!counts.has(key)) counts.set(key, new Map());
  counts.get(key)!.set(t, (counts.get(key)!.get(t) ?? 0) + 1);
  overall.set(t, (overall.get(t) ?? 0) + 1);
});
const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
const fallback = top(overall);
const frequent = test.map((s) => s.words.map((w) => (counts.has(w.toLowerCase()) ? top(counts.get(w.toLowerCase())!) : fallback)));
console.log(JSON.stringify({ baseline: 'most frequent tag per word', token_accuracy: taggingMetrics(gold, frequent).token_accuracy }));

// averaged perceptron over window features
const tags = [...overall.keys()].sort();
const shape = (w: string) => w.replace(/[A-Z]/g, 'X').replace(/[a-z]/g, 'x').replace(/\d/g, 'd').replace(/(.)\1+/g, '$1$1');
function features(words: string[], i: number, p1: string, p2: string): string[] {
  const w = (k: number) => (words[i + k] ?? (k < 0 ? '<s>' : '</s>')).toLowerCase();
  const cur = words[i], lw = cur.toLowerCase();
  return ['b', `w=${lw}`, `w-1=${w(-1)}`, `w+1=${w(1)}`, `w-2=${w(-2)}`, `w+2=${w(2)}`, `s1=${lw.slice(-1)}`, `s2=${lw.slice(-2)}`, `s3=${lw.slice(-3)}`,
    `p1=${lw.slice(0, 1)}`, `p2=${lw.slice(0, 2)}`, `p3=${lw.slice(0, 3)}`, `sh=${shape(cur)}`, `t-1=${p1}`, `t-2=${p2} ${p1}`, `t-1w=${p1} ${lw}`];
}
const weights = new Map<string, Float64Array>(), totals = new Map<string, Float64Array>(), stamps = new Map<string, Float64Array>();
let clock = 0;
const row = (m: Map<string, Float64Array>, f: string) => m.get(f) ?? m.set(f, new Float64Array(tags.length)).get(f)!;
const predict = (fs: string[]) => {
  const score = new Float64Array(tags.length);
  for (const f of fs) { const w = weights.get(f); if (w) for (let t = 0; t < tags.length; t++) score[t] += w[t]; }
  let best = 0;
  for (let t = 1; t < tags.length; t++) if (score[t] > score[best]) best = t;
  return best;
};
const update = (f: string, t: number, d: number) => {
  const w = row(weights, f), tot = row(totals, f), st = row(stamps, f);
  tot[t] += (clock - st[t]) * w[t];
  st[t] = clock;
  w[t] += d;
};
for (let pass = 0; pass < 5; pass++) {
  for (const s of train) {
    let p1 = '<s>', p2 = '<s>';
    s.words.forEach((_, i) => {
      clock++;
      const fs = features(s.words, i, p1, p2), guess = predict(fs), truth = tags.indexOf(s.tags![i]);
      if (guess !== truth) for (const f of fs) { update(f, truth, 1); update(f, guess, -1); }
      p2 = p1;
      p1 = s.tags![i];
    });
  }
}
for (const [f, w] of weights) { // the average of every weight over every step
  const tot = totals.get(f)!, st = stamps.get(f)!;
  for (let t = 0; t < tags.length; t++) w[t] = (tot[t] + (clock - st[t]) * w[t]) / clock;
}
const linear = test.map((s) => {
  let p1 = '<s>', p2 = '<s>';
  return s.words.map((_, i) => {
    const t = tags[predict(features(s.words, i, p1, p2))];
    p2 = p1;
    p1 = t;
    return t;
  });
});
console.log(JSON.stringify({ baseline: 'averaged perceptron over window features', token_accuracy: taggingMetrics(gold, linear).token_accuracy, sentences: test.length }));
