// Writes next-sentence pairs (lib/data/nsp-pairs.ts) from the State of the Union addresses and
// Moby-Dick — train.tsv from the training documents (3,000 pairs of each corpus), test.tsv from the
// held-out ones (up to 1,000 of each) — and scores the word-overlap logistic regression on them.
// Run: npx tsx tools/nsp-pairs.ts OUT_DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mobySplit } from '../lib/data/moby.js';
import { nextSentencePairs, pairsTsv } from '../lib/data/nsp-pairs.js';
import { sotuSplit } from '../lib/data/sotu.js';
import { overlapRegression } from '../lib/tasks/baseline.js';

const out = process.argv[2];
if (!out) throw new Error('usage: tools/nsp-pairs.ts OUT_DIR');
mkdirSync(out, { recursive: true });
const sotu = sotuSplit(), moby = mobySplit();
const train = [...nextSentencePairs(sotu.train.map((a) => a.text), 3000, 1), ...nextSentencePairs(moby.train.map((s) => s.text), 3000, 2)];
const test = [...nextSentencePairs(sotu.heldOut.map((a) => a.text), 1000, 3), ...nextSentencePairs(moby.heldOut.map((s) => s.text), 1000, 4)];
writeFileSync(join(out, 'train.tsv'), pairsTsv(train));
writeFileSync(join(out, 'test.tsv'), pairsTsv(test));
console.error(`train: ${train.length} pairs → ${join(out, 'train.tsv')}; test: ${test.length} → ${join(out, 'test.tsv')}`);
const label = (p: { label: string }) => (p.label === 'random' ? 1 : 0);
const lr = overlapRegression(train.map((p) => ({ a: p.a, b: p.b, label: label(p) })));
const right = test.filter((p) => lr(p.a, p.b) === label(p)).length;
const random = test.filter((p) => label(p) === 1).length;
console.log(JSON.stringify({ baseline: 'word-overlap logistic regression', accuracy: right / test.length, majority: Math.max(random, test.length - random) / test.length, pairs: test.length }));
