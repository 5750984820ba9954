// Writes test/fixtures/tokenizer-parity.json: HF tokenizers' (Rust, via npm @anush008/tokenizers)
// answers for the parity table and a spread of State of the Union lines, uncased and cased, with
// the bert-base-uncased vocabulary. Offsets are converted from HF's characters to UTF-16 units.
// Run: npx tsx tools/make-tokenizer-fixtures.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hfBertTokenizer, hfEncode } from '../test/helpers/hf-oracle.js';
import { bertBaseUncasedVocabPath } from '../test/helpers/bert-vocab.js';
import { CASES, sotuLines } from '../test/tokenizer/cases.js';

const vocab = bertBaseUncasedVocabPath();
const out: Record<string, unknown> = { vocab: 'bert-base-uncased', generator: 'tools/make-tokenizer-fixtures.ts', cases: {}, sotu: {} };
for (const lowercase of [true, false]) {
  const hf = await hfBertTokenizer(vocab, lowercase);
  const key = lowercase ? 'uncased' : 'cased';
  const cases: Record<string, unknown> = {};
  for (const c of CASES) cases[c.name] = await hfEncode(hf, c);
  (out.cases as Record<string, unknown>)[key] = cases;
  const lines = sotuLines(lowercase ? 300 : 100);
  // one at a time: concurrent encode calls on one HF tokenizer never settle in this binding
  const answers = [];
  // tokens follow from the ids and type ids are all 0 for one text: keep the fixture small
  for (const text of lines) {
    const a = await hfEncode(hf, { name: '', text });
    answers.push({ text, ids: a.ids, offsets: a.offsets });
  }
  (out.sotu as Record<string, unknown>)[key] = answers;
}
const path = join(import.meta.dirname, '..', 'test', 'fixtures', 'tokenizer-parity.json');
writeFileSync(path, JSON.stringify(out) + '\n');
console.log(`wrote ${path}`);
