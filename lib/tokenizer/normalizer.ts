// BertNormalizer, HF tokenizers' order: clean text → spaces around CJK → strip accents (NFD, drop
// Mn) → lowercase, each applied per code point with the original span of that code point carried
// along, so every token's offsets point back into the user's string (in UTF-16 units, as JS counts).
// NFD and lowercasing come from HF's own tables (unicode.ts), not Node's ICU. Lowercasing is per code
// point like Rust's char::to_lowercase: no final-sigma rule (Python's str.lower() has one, so the
// original BERT differs from HF there; we follow HF). Stripping accents runs HF's NFD over the whole
// text, which also puts each run of combining marks in canonical order (by combining class, stably; a
// class-0 character ends a run) and hands out offsets by position. The marks it then drops vanish; the
// few it keeps (a non-zero class but not Mn, such as the musical symbols U+1D165–U+1D172) can move and
// take another character's offsets, so text holding one goes through a literal model of HF's steps.
import { charFlags, CJK, combiningClass, CONTROL, decompose, KEEPS_MARK, lowercase, MARK_NONSPACING, WHITESPACE } from './unicode.js';

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
      if (f & KEEPS_MARK && this.opts.stripAccents) return this.normalizeInOrder(input);
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

  /**
   * HF's steps one after another, for text with a mark that stripping keeps: clean and space CJK
   * (each character with its span), NFD over everything with each run of non-zero classes sorted
   * stably — a character's first code point "replaces" and takes the next span in order, the rest are
   * "added" and share the last span taken — then the Mn filter and lowercasing.
   */
  private normalizeInOrder(input: string): Normalized {
    const { cleanText, handleChineseChars, lowercase: lower } = this.opts;
    const chars: number[] = [];
    const spans: number[] = [];
    for (let i = 0; i < input.length; ) {
      const cp = input.codePointAt(i)!;
      const s0 = i;
      i += cp > 0xffff ? 2 : 1;
      const f = charFlags(cp);
      if (cleanText && (cp === 0 || cp === 0xfffd || f & CONTROL)) continue;
      const c = cleanText && f & WHITESPACE ? 0x20 : cp;
      if (handleChineseChars && f & CJK) chars.push(0x20, c, 0x20), spans.push(s0, i, s0, i, s0, i);
      else chars.push(c), spans.push(s0, i);
    }
    // NFD: (class, code point, added) triples; sort each run before the next class-0 code point
    const nfd: [number, number, boolean][] = [];
    let pending = 0;
    const sortPending = () => {
      const run = nfd.slice(pending).sort((a, b) => a[0] - b[0]); // Array.prototype.sort is stable
      nfd.splice(pending, run.length, ...run);
      pending = nfd.length;
    };
    for (const c of chars) {
      let added = false;
      for (const d of decompose(c)) {
        const k = combiningClass(d.codePointAt(0)!);
        if (k === 0) sortPending();
        nfd.push([k, d.codePointAt(0)!, added]);
        added = true;
      }
    }
    sortPending();
    let text = '';
    const start: number[] = [];
    const end: number[] = [];
    let taken = -1;
    for (const [, c, added] of nfd) {
      if (!added) taken++;
      if (charFlags(c) & MARK_NONSPACING) continue;
      const out = lower ? lowercase(c) : String.fromCodePoint(c);
      text += out;
      for (let k = 0; k < out.length; k++) start.push(spans[2 * taken]), end.push(spans[2 * taken + 1]);
    }
    return { text, start: Int32Array.from(start), end: Int32Array.from(end) };
  }

  /** NFD with non-spacing marks dropped (when stripping accents), then lowercase; cached. */
  private transform(cp: number): string {
    const cached = this.cache.get(cp);
    if (cached !== undefined) return cached;
    let text = String.fromCodePoint(cp);
    if (this.opts.stripAccents) {
      let kept = '';
      for (const d of decompose(cp)) if (!(charFlags(d.codePointAt(0)!) & MARK_NONSPACING)) kept += d;
      text = kept;
    }
    if (this.opts.lowercase) {
      let lower = '';
      for (const c of text) lower += lowercase(c.codePointAt(0)!);
      text = lower;
    }
    this.cache.set(cp, text);
    return text;
  }
}
