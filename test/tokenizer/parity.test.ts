// Exact parity with HF's Rust BERT tokenizer (bert-base-uncased vocabulary), uncased and cased:
// tokens, ids, type ids and offsets (in UTF-16 units) on the named edge cases and on State of the
// Union sentences — recorded in test/fixtures by tools/make-tokenizer-fixtures.ts, and live for
// more sentences through the npm binding of the same Rust code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { bertBaseUncasedVocabPath } from '../helpers/bert-vocab.js';
import { hfBertTokenizer, hfEncode } from '../helpers/hf-oracle.js';
import { CASES, sotuLines } from './cases.js';

interface Answer { tokens?: string[]; ids: number[]; typeIds?: number[]; offsets: [number, number][] }
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'tokenizer-parity.json'), 'utf8'));

describe.each([['uncased', true], ['cased', false]] as const)('parity with HF tokenizers, %s', (key, lowercase) => {
  let tok: Tokenizer;
  beforeAll(() => {
    tok = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath(), { lowercase });
  });

  for (const c of CASES) {
    it(c.name, () => {
      const want: Answer = fixture.cases[key][c.name];
      const got = tok.encode(c.text, c.pair ?? null, { maxLength: c.maxLength, truncation: c.truncation });
      expect(got.tokens).toEqual(want.tokens);
      expect(got.ids).toEqual(want.ids);
      expect(got.typeIds).toEqual(want.typeIds);
      expect(got.offsets).toEqual(want.offsets);
    });
  }

  it('State of the Union sentences (fixture)', () => {
    const rows: (Answer & { text: string })[] = fixture.sotu[key];
    expect(rows.length).toBeGreaterThanOrEqual(100);
    for (const row of rows) {
      const got = tok.encode(row.text);
      expect({ text: row.text, ids: got.ids, offsets: got.offsets }).toEqual({ text: row.text, ids: row.ids, offsets: row.offsets });
    }
  });
});

describe('parity with HF tokenizers, live', () => {
  it('2,000 more State of the Union sentences, uncased and cased', async () => {
    const lines = sotuLines(2300).slice(300);
    for (const lowercase of [true, false]) {
      const hf = await hfBertTokenizer(bertBaseUncasedVocabPath(), lowercase);
      const ours = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath(), { lowercase });
      for (const text of lines) {
        const want = await hfEncode(hf, { name: '', text });
        const got = ours.encode(text);
        expect({ text, ids: got.ids, offsets: got.offsets }).toEqual({ text, ids: want.ids, offsets: want.offsets });
      }
    }
  });
});
