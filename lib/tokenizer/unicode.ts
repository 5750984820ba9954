// Character classes exactly as HF tokenizers' BertNormalizer / BertPreTokenizer define them
// (and, but for Unicode versions, BERT's tokenization.py):
//   control      general category Cc, Cf, Co, Cs — not Cn: HF keeps an unassigned code point as a letter —
//                except \t \n \r (which count as whitespace)
//   whitespace   the White_Space property, plus \t \n \r
//   punctuation  ASCII ! through ~ outside letters and digits, or category P*
//   CJK          the CJK Unified Ideograph blocks BERT lists (not Hiragana, Katakana or Hangul)
//   Mn           non-spacing marks, dropped after NFD when accents are stripped
// The Basic Multilingual Plane is tabulated once (65,536 lookups, ~20 ms, on first use) so the hot
// path never runs a regular expression; astral code points are classified on demand and cached.
export const CONTROL = 1;
export const WHITESPACE = 2;
export const PUNCTUATION = 4;
export const CJK = 8;
export const MARK_NONSPACING = 16;

const reControl = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
const reWhite = /^\p{White_Space}$/u;
const rePunct = /^\p{P}$/u;
const reMn = /^\p{Mn}$/u;

export function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function isAsciiPunctuation(cp: number): boolean {
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
}

function classify(cp: number): number {
  if (cp >= 0xd800 && cp <= 0xdfff) return CONTROL; // a lone surrogate: category Cs
  const ch = String.fromCodePoint(cp);
  let f = 0;
  if (cp === 9 || cp === 10 || cp === 13) f |= WHITESPACE;
  else {
    if (reControl.test(ch)) f |= CONTROL;
    if (reWhite.test(ch)) f |= WHITESPACE;
  }
  if (isAsciiPunctuation(cp) || rePunct.test(ch)) f |= PUNCTUATION;
  if (isCjk(cp)) f |= CJK;
  if (reMn.test(ch)) f |= MARK_NONSPACING;
  return f;
}

let bmp: Uint8Array | null = null;
const astral = new Map<number, number>();

function bmpTable(): Uint8Array {
  if (!bmp) {
    bmp = new Uint8Array(0x10000);
    for (let cp = 0; cp < 0x10000; cp++) bmp[cp] = classify(cp);
  }
  return bmp;
}

/** The class bits of a code point. */
export function charFlags(cp: number): number {
  if (cp < 0x10000) return (bmp ?? bmpTable())[cp];
  let f = astral.get(cp);
  if (f === undefined) {
    f = classify(cp);
    astral.set(cp, f);
  }
  return f;
}
