// Writes a SQuAD v1.1 set of extractive questions over the State of the Union addresses
// (lib/data/sotu-qa.ts): train.json from the training addresses, test.json from the held-out ones;
// then scores the "first span of the asked type" reference on test.json. The training set keeps
// every k-th context, about 3,000 questions (four epochs of them fine-tune a mini in minutes).
// Run: npx tsx tools/sotu-qa.ts OUT_DIR [TRAIN_QUESTIONS=3000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sotuSplit } from '../lib/data/sotu.js';
import { firstOfType, sotuQuestions } from '../lib/data/sotu-qa.js';
import { readQa, squadMetrics } from '../lib/tasks/qa.js';

const out = process.argv[2], trainQuestions = Number(process.argv[3] ?? 3000);
if (!out) throw new Error('usage: tools/sotu-qa.ts OUT_DIR');
mkdirSync(out, { recursive: true });
const { train, heldOut } = sotuSplit();
for (const [name, addresses] of [['train', train], ['test', heldOut]] as const) {
  const all = sotuQuestions(addresses);
  const every = name === 'train' ? Math.max(1, Math.floor(all.reduce((s, p) => s + p.qas.length, 0) / trainQuestions)) : 1;
  const paragraphs = all.filter((_, i) => i % every === 0);
  writeFileSync(join(out, `${name}.json`), JSON.stringify({ version: '1.1', data: [{ title: `sotu-${name}`, paragraphs }] }) + '\n');
  console.error(`${name}: ${paragraphs.reduce((s, p) => s + p.qas.length, 0)} questions over ${paragraphs.length} contexts → ${join(out, `${name}.json`)}`);
}
const test = readQa(join(out, 'test.json')).records;
const preds = test.map((r) => ({ id: r.id, answer: firstOfType(r.question, r.context), score: 1, start: -1, end: -1 }));
const m = squadMetrics(test, preds);
console.log(JSON.stringify({ baseline: 'first span of the asked type', exact: m.exact, f1: m.f1, total: m.total }));
