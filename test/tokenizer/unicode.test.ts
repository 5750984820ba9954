// Every code point against HF's Rust tokenizer (tokenizers 0.22.2 through the npm binding): the normalizer's
// output, the pre-tokenizer's words, and the ids of the whole pipeline, for each of the 1,112,064 scalar
// values alone and between two letters, uncased and cased. bert-cli's tables come from the data HF's build
// uses (tools/unicode-tables.ts → lib/tokenizer/unicode-data.ts: Unicode 9 categories and NFD), so Node's
// ICU (Unicode 17 on Node 20) does not leak in. About a minute on 2 cores.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BertNormalizer } from '../../lib/tokenizer/normalizer.js';
import { splitWords } from '../../lib/tokenizer/pre-tokenizer.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { bertBaseUncasedVocabPath } from '../helpers/bert-vocab.js';
import { hfBertTokenizer, hfEncode } from '../helpers/hf-oracle.js';
import { mulberry32 } from '../helpers/random.js';
import { charFlags, combiningClass, MARK_NONSPACING } from '../../lib/tokenizer/unicode.js';

const require = createRequire(import.meta.url);
const hf = require('@anush008/tokenizers');

const scalars: number[] = [];
for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) scalars.push(cp);
const hex = (cp: number) => 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
const contexts = [
  ['between letters', (c: string) => `a${c}b`],
  ['alone', (c: string) => c],
] as const;

function words(text: string): string[] {
  const spans: number[] = [];
  splitWords(text, spans);
  const out: string[] = [];
  for (let i = 0; i < spans.length; i += 2) out.push(text.slice(spans[i], spans[i + 1]));
  return out;
}

describe.each([['uncased', true], ['cased', false]] as const)('every code point, %s, as HF tokenizers', (_, lowercase) => {
  const opts = { cleanText: true, handleChineseChars: true, stripAccents: lowercase, lowercase };

  it('normalizes to the same string', () => {
    const theirs = hf.bertNormalizer(opts);
    const ours = new BertNormalizer(opts);
    const differ: string[] = [];
    for (const cp of scalars) {
      const s = `a${String.fromCodePoint(cp)}b`;
      if (theirs.normalizeString(s) !== ours.normalize(s).text) differ.push(hex(cp));
    }
    expect(differ.slice(0, 20)).toEqual([]);
  });

  it.each(contexts)('gives the same ids, %s', async (_, wrap) => {
    const theirs = await hfBertTokenizer(bertBaseUncasedVocabPath(), lowercase);
    const ours = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath(), { lowercase });
    const differ: string[] = [];
    for (let i = 0; i < scalars.length; i += 8192) {
      const cps = scalars.slice(i, i + 8192);
      const texts = cps.map((cp) => wrap(String.fromCodePoint(cp)));
      const encs = await theirs.encodeBatch(texts);
      encs.forEach((e: { getIds(): number[] }, j: number) => {
        const want = e.getIds();
        const got = ours.encode(texts[j]).ids;
        if (want.length !== got.length || want.some((v, k) => v !== got[k])) differ.push(hex(cps[j]));
      });
    }
    expect(differ.slice(0, 20)).toEqual([]);
  });
});

describe('every code point, pre-tokenized as HF tokenizers', () => {
  it('splits into the same words', () => {
    const theirs = hf.bertPreTokenizer();
    const differ: string[] = [];
    for (const cp of scalars) {
      const s = `a${String.fromCodePoint(cp)}b`;
      const want = theirs.preTokenizeString(s).map((x: [string]) => x[0]);
      const got = words(s);
      if (want.length !== got.length || want.some((w: string, k: number) => w !== got[k])) differ.push(hex(cp));
    }
    expect(differ.slice(0, 20)).toEqual([]);
  });
});

// Characters whose Unicode 17 (Node's ICU) properties differ from the Unicode 9 tables HF tokenizers is
// built with: bert-cli does what HF does, not what Node would.
describe("HF's Unicode version, not Node's", () => {
  const uncased = new BertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true });
  it.each([
    ['U+0890 ARABIC POUND MARK ABOVE (Cf since Unicode 14) is kept, not dropped as a control', 'a\u0890b', 'a\u0890b'],
    ['U+1734 HANUNOO SIGN PAMUDPOD (Mn in Unicode 9, Mc now) is dropped with the accents', 'a\u1734b', 'ab'],
    ['U+2B820 (CJK Extension E) is not spaced: tokenizers lists 0x2B920..=0x2CEAF', 'a\u{2b820}b', 'a\u{2b820}b'],
    ['U+2B920 is spaced as an ideograph', 'a\u{2b920}b', 'a \u{2b920} b'],
    ['U+105C9 (Todhri, with a decomposition since Unicode 16) does not decompose', 'a\u{105c9}b', 'a\u{105c9}b'],
    ['U+0130 İ decomposes, drops its dot and lowercases to i', 'a\u0130b', 'aib'],
    ['a capital sigma lowercases per character: σ, never the final ς', 'AΣ', 'aσ'],
  ])('%s', (_, input, want) => {
    expect(uncased.normalize(input).text).toBe(want);
  });

  it.each([
    ['U+2E43 DASH WITH LEFT UPTURN (Po since Unicode 10) is part of a word', 'a\u2e43b', ['a\u2e43b']],
    ['U+061D ARABIC END OF TEXT MARK (Po since Unicode 14) is part of a word', 'a\u061db', ['a\u061db']],
    ['U+166D CANADIAN SYLLABICS CHI SIGN (Po in Unicode 9, So now) is punctuation', 'a\u166db', ['a', '\u166d', 'b']],
  ])('%s', (_, input, want) => {
    expect(words(input)).toEqual(want);
  });
});

// NFD puts each run of combining marks in canonical order; the marks HF keeps after stripping accents (a
// non-zero combining class but not Mn) are moved with it, across code points, and dropped class-0 marks
// end a run. Sequences of such characters, as HF's Rust tokenizer orders them.
describe('canonical ordering of the marks stripping keeps', () => {
  const kept: number[] = [];
  for (let cp = 0x300; cp <= 0x10ffff; cp++) if (combiningClass(cp) && !(charFlags(cp) & MARK_NONSPACING)) kept.push(cp);
  const opts = { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true };

  it('every ordered pair of kept marks, alone and around a dropped mark', () => {
    expect(kept.length).toBeGreaterThan(20); // U+1D165…, U+302E, U+1E000…: the set the rule is for
    const theirs = hf.bertNormalizer(opts);
    const ours = new BertNormalizer(opts);
    const differ: string[] = [];
    for (const a of kept) {
      for (const b of kept) {
        for (const mid of ['', '\u0301', '\u034f', '\u200b', ' ']) {
          const s = `x${String.fromCodePoint(a)}${mid}${String.fromCodePoint(b)}y`;
          if (theirs.normalizeString(s) !== ours.normalize(s).text) differ.push(`${hex(a)} ${JSON.stringify(mid)} ${hex(b)}`);
        }
      }
    }
    expect(differ.slice(0, 20)).toEqual([]);
  });

  it('random runs of letters, precomposed letters and marks: same text, ids and offsets', async () => {
    const pool = [...kept.slice(0, 40), 0x301, 0x316, 0x334, 0x34f, 0x5b0, 0x1ec7, 0xe9, 0x130, 0x41, 0x61, 0x4e00, 0x200b, 0x20, 0x3a3, 0xac01];
    const rand = mulberry32(19);
    const theirs = hf.bertNormalizer(opts);
    const ours = new BertNormalizer(opts);
    const tokHf = await hfBertTokenizer(bertBaseUncasedVocabPath(), true);
    const tok = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath(), { lowercase: true });
    for (let n = 0; n < 3000; n++) {
      let s = 'a';
      const len = 1 + Math.floor(rand() * 7);
      for (let k = 0; k < len; k++) s += String.fromCodePoint(pool[Math.floor(rand() * pool.length)]);
      expect({ s, text: ours.normalize(s).text }).toEqual({ s, text: theirs.normalizeString(s) });
      if (n % 10 === 0) {
        const want = await hfEncode(tokHf, { name: '', text: s });
        const got = tok.encode(s);
        expect({ s, ids: got.ids, offsets: got.offsets }).toEqual({ s, ids: want.ids, offsets: want.offsets });
      }
    }
  });
});
