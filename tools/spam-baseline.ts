// Bag-of-words baselines on a classification split (default: `bert-cli dataset spam`'s), with the
// same metrics bert-cli eval prints: multinomial Naive Bayes and logistic regression.
// Run: npx tsx tools/spam-baseline.ts data/spam/train.tsv data/spam/test.tsv
import { readRecords } from '../lib/tasks/records.js';
import { classificationMetrics } from '../lib/tasks/metrics.js';
import { logisticRegression, naiveBayes } from '../lib/tasks/baseline.js';

const [trainPath, testPath] = process.argv.slice(2);
if (!trainPath || !testPath) throw new Error('usage: tools/spam-baseline.ts TRAIN.tsv TEST.tsv');
const load = (p: string) => readRecords(p).rows.map((r) => ({ text: String(r.text), label: String(r.label) }));
const train = load(trainPath), test = load(testPath);
const labels = [...new Set(train.map((x) => x.label))].sort();
const enc = (xs: typeof train) => xs.map((x) => ({ text: x.text, label: labels.indexOf(x.label) }));
const gold = enc(test).map((x) => x.label);
for (const [name, model] of [['naive bayes', naiveBayes(enc(train), labels.length)], ['logistic regression', logisticRegression(enc(train))]] as const) {
  const m = classificationMetrics(gold, test.map((x) => model(x.text)), labels);
  const spam = m.per_class.spam;
  console.log(JSON.stringify({ baseline: name, accuracy: m.accuracy, spam_f1: spam?.f1, macro_f1: m.macro_f1, mcc: m.mcc }));
}
