// Exact parity with HF's Rust BERT tokenizer (bert-base-uncased vocabulary), uncased and cased:
// tokens, ids, type ids and offsets (in UTF-16 units) on the named edge cases and on State of the
// Union sentences — recorded in test/fixtures by tools/make-tokenizer-fixtures.ts, and live for
// more sentences through the npm binding of the same Rust code.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

describe('parity with HF tokenizers, code points', () => {
  it('an unassigned code point (category Cn) is a letter, not a control character: HF keeps it', async () => {
    // a spread of unassigned code points in every plane; the old rule dropped all of them ("a\u0378b" → "ab")
    const cps = [0x378, 0x379, 0x530, 0x557, 0x5ff, 0x2fe0, 0xfdd0, 0xfffe, 0x1f000 + 0x2c, 0x2fa20, 0x30000 + 0x1350 + 1, 0x40000, 0x8ffff, 0xe0000, 0xe0080, 0xeffff];
    for (const lowercase of [true, false]) {
      const hf = await hfBertTokenizer(bertBaseUncasedVocabPath(), lowercase);
      const ours = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath(), { lowercase });
      for (const cp of cps) {
        for (const text of ['a' + String.fromCodePoint(cp) + 'b', String.fromCodePoint(cp)]) {
          const want = await hfEncode(hf, { name: '', text });
          expect({ cp: cp.toString(16), ids: ours.encode(text).ids }).toEqual({ cp: cp.toString(16), ids: want.ids });
        }
      }
    }
  });
});

describe('parity with HF tokenizers, astral over-long words', () => {
  it('max_input_chars_per_word counts code points: 60 emoji (120 UTF-16 units) are split, 101 are [UNK]', async () => {
    // a vocabulary whose pieces are astral, so a word of them splits (the bert-base table has none:
    // counting UTF-16 units instead would turn this word into [UNK] and pass every other case)
    const dir = mkdtempSync(join(tmpdir(), 'bert-astral-'));
    const vocab = join(dir, 'vocab.txt');
    writeFileSync(vocab, ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '😀', '##😀', '😀😀', '##😀😀', 'ok'].join('\n') + '\n');
    const hf = await hfBertTokenizer(vocab, true);
    const ours = Tokenizer.fromVocabFile(vocab, { lowercase: true });
    for (const n of [50, 51, 60, 99, 100, 101]) {
      const text = `ok ${'😀'.repeat(n)} ok`;
      const want = await hfEncode(hf, { name: '', text });
      const got = ours.encode(text);
      expect({ n, ids: got.ids, offsets: got.offsets }).toEqual({ n, ids: want.ids, offsets: want.offsets });
    }
    expect(ours.encode('😀'.repeat(60)).ids.length).toBe(2 + 30); // split into 30 pieces of two, not one [UNK]
  });
});
