// The most-frequent-tag-per-word baseline for tagging (unknown words get the most frequent tag
// overall), with the same metrics bert-cli eval prints for tag models.
// Run: npx tsx tools/tag-baseline.ts data/brown/train.conll data/brown/test.conll
import { readTagged, taggingMetrics } from '../lib/tasks/tagging.js';

const [trainPath, testPath] = process.argv.slice(2);
if (!trainPath || !testPath) throw new Error('usage: tools/tag-baseline.ts TRAIN.conll TEST.conll');
const train = readTagged(trainPath).sentences, test = readTagged(testPath).sentences;
const counts = new Map<string, Map<string, number>>(), overall = new Map<string, number>();
for (const s of train) s.words.forEach((w, i) => {
  const key = w.toLowerCase(), t = s.tags![i];
  if (!counts.has(key)) counts.set(key, new Map());
  counts.get(key)!.set(t, (counts.get(key)!.get(t) ?? 0) + 1);
  overall.set(t, (overall.get(t) ?? 0) + 1);
});
const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
const fallback = top(overall);
const pred = test.map((s) => s.words.map((w) => (counts.has(w.toLowerCase()) ? top(counts.get(w.toLowerCase())!) : fallback)));
const m = taggingMetrics(test.map((s) => s.tags!), pred);
console.log(JSON.stringify({ baseline: 'most frequent tag per word', token_accuracy: m.token_accuracy, sentences: m.sentences }));
