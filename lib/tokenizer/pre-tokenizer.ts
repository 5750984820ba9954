// BertPreTokenizer: split on whitespace (dropped) and on punctuation (each mark its own word).
import { charFlags, PUNCTUATION, WHITESPACE } from './unicode.js';

/** Appends the [start, end) unit spans of the words of `text` to `out` (flat pairs). */
export function splitWords(text: string, out: number[]): void {
  let wordStart = -1;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    // ASCII letters and digits are the common case: neither space nor punctuation.
    const cp = c >= 0xd800 && c <= 0xdbff ? text.codePointAt(i)! : c;
    const w = cp > 0xffff ? 2 : 1;
    const f = (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ? 0 : charFlags(cp);
    if (f & (WHITESPACE | PUNCTUATION)) {
      if (wordStart >= 0) out.push(wordStart, i);
      wordStart = -1;
      if (f & PUNCTUATION && !(f & WHITESPACE)) out.push(i, i + w);
    } else if (wordStart < 0) {
      wordStart = i;
    }
    i += w;
  }
  if (wordStart >= 0) out.push(wordStart, text.length);
}
