// BertNormalizer, HF tokenizers' order: clean text → spaces around CJK → strip accents (NFD, drop
// Mn) → lowercase, each applied per code point with the original span of that code point carried
// along, so every token's offsets point back into the user's string (in UTF-16 units, as JS counts).
// Lowercasing is per code point like Rust's char::to_lowercase: no final-sigma rule (Python's
// str.lower() has one, so the original BERT differs from HF there; we follow HF).
import { charFlags, CJK, CONTROL, MARK_NONSPACING, WHITESPACE } from './unicode.js';

export interface NormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

/** Normalized text; unit i came from input units [start[i], end[i]) (null arrays: identity). */
export interface Normalized {
  text: string;
  start: Int32Array | null;
  end: Int32Array | null;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export class BertNormalizer {
  private readonly opts: NormalizerOptions;
  private readonly cache = new Map<number, string>();

  constructor(opts: NormalizerOptions) {
    this.opts = opts;
  }

  normalize(input: string): Normalized {
    // Printable ASCII needs only lowercasing, which keeps every offset.
    if (PRINTABLE_ASCII.test(input)) {
      return { text: this.opts.lowercase ? input.toLowerCase() : input, start: null, end: null };
    }
    const { cleanText, handleChineseChars } = this.opts;
    let text = '';
    const start: number[] = [];
    const end: number[] = [];
    const emit = (s: string, s0: number, e0: number) => {
      text += s;
      for (let k = 0; k < s.length; k++) {
        start.push(s0);
        end.push(e0);
      }
    };
    for (let i = 0; i < input.length; ) {
      const cp = input.codePointAt(i)!;
      const s0 = i;
      i += cp > 0xffff ? 2 : 1;
      const f = charFlags(cp);
      if (cleanText) {
        if (cp === 0 || cp === 0xfffd || f & CONTROL) continue;
        if (f & WHITESPACE) {
          emit(' ', s0, i);
          continue;
        }
      }
      const t = this.transform(cp);
      if (handleChineseChars && f & CJK) {
        emit(' ', s0, i);
        emit(t, s0, i);
        emit(' ', s0, i);
      } else if (t.length > 0) {
        emit(t, s0, i);
      }
    }
    return { text, start: Int32Array.from(start), end: Int32Array.from(end) };
  }

  /** NFD with non-spacing marks dropped (when stripping accents), then lowercase; cached. */
  private transform(cp: number): string {
    const cached = this.cache.get(cp);
    if (cached !== undefined) return cached;
    let t = String.fromCodePoint(cp);
    if (this.opts.stripAccents) {
      let kept = '';
      for (const c of t.normalize('NFD')) if (!(charFlags(c.codePointAt(0)!) & MARK_NONSPACING)) kept += c;
      t = kept;
    }
    if (this.opts.lowercase) {
      let lower = '';
      for (const c of t) lower += c.toLowerCase();
      t = lower;
    }
    this.cache.set(cp, t);
    return t;
  }
}
