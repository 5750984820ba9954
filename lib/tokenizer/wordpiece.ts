// WordPiece: greedy longest-match-first over the vocabulary, "##" marking a piece that continues a
// word. A word longer than maxInputCharsPerWord code points, or one that cannot be split completely,
// becomes one [UNK]. Longest prefixes are found by walking a trie (one root for word-initial pieces,
// one for "##" pieces) held in a flat open-addressing table: one probe per character.
import type { Vocab } from './vocab.js';

const ROOT_INITIAL = 0;
const ROOT_CONTINUATION = 1;

export class WordPiece {
  readonly unkId: number;
  readonly maxInputCharsPerWord: number;
  private keyNode: Int32Array;
  private keyUnit: Int32Array;
  private child: Int32Array;
  private tokenOf: Int32Array;
  private mask: number;

  constructor(vocab: Vocab, opts: { unkToken?: string; maxInputCharsPerWord?: number; prefix?: string } = {}) {
    const prefix = opts.prefix ?? '##';
    this.unkId = vocab.special((opts.unkToken ?? '[UNK]') as '[UNK]');
    this.maxInputCharsPerWord = opts.maxInputCharsPerWord ?? 100;
    let units = 0;
    for (const t of vocab.tokens) units += t.length;
    let cap = 1;
    while (cap < 2 * (units + 4)) cap <<= 1;
    this.mask = cap - 1;
    this.keyNode = new Int32Array(cap).fill(-1);
    this.keyUnit = new Int32Array(cap);
    this.child = new Int32Array(cap);
    const tokenOf: number[] = [-1, -1];
    let nodes = 2;
    // Insert in id order, so a token listed twice maps to its last id (as the vocab Map does).
    vocab.tokens.forEach((tok, id) => {
      let node = ROOT_INITIAL;
      let body = tok;
      if (tok.startsWith(prefix) && tok.length > prefix.length) {
        node = ROOT_CONTINUATION;
        body = tok.slice(prefix.length);
      }
      if (body.length === 0) return;
      for (let i = 0; i < body.length; i++) {
        const u = body.charCodeAt(i);
        let next = this.find(node, u);
        if (next < 0) {
          next = nodes++;
          tokenOf.push(-1);
          this.put(node, u, next);
        }
        node = next;
      }
      tokenOf[node] = id;
    });
    this.tokenOf = Int32Array.from(tokenOf);
  }

  private slot(node: number, unit: number): number {
    return (Math.imul(node, 0x9e3779b1) ^ Math.imul(unit + 0x7f4a7c15, 0x85ebca77)) >>> 0;
  }

  private find(node: number, unit: number): number {
    for (let h = this.slot(node, unit) & this.mask; ; h = (h + 1) & this.mask) {
      const k = this.keyNode[h];
      if (k < 0) return -1;
      if (k === node && this.keyUnit[h] === unit) return this.child[h];
    }
  }

  private put(node: number, unit: number, child: number): void {
    let h = this.slot(node, unit) & this.mask;
    while (this.keyNode[h] >= 0) h = (h + 1) & this.mask;
    this.keyNode[h] = node;
    this.keyUnit[h] = unit;
    this.child[h] = child;
  }

  /**
   * Splits text[ws, we) into pieces, appending their ids and [start, end) unit spans to the
   * arrays. Returns the number of pieces appended (1 for an [UNK] word).
   */
  tokenizeWord(text: string, ws: number, we: number, ids: number[], spans: number[]): number {
    let chars = we - ws;
    if (chars > this.maxInputCharsPerWord) {
      // count code points, not UTF-16 units: a surrogate pair is one character
      for (let i = ws; i < we; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0xdc00 && c <= 0xdfff) chars--;
      }
      if (chars > this.maxInputCharsPerWord) {
        ids.push(this.unkId);
        spans.push(ws, we);
        return 1;
      }
    }
    const mark = ids.length, smark = spans.length;
    let pos = ws;
    let root = ROOT_INITIAL;
    while (pos < we) {
      let node = root;
      let bestId = -1;
      let bestEnd = -1;
      for (let j = pos; j < we; j++) {
        node = this.find(node, text.charCodeAt(j));
        if (node < 0) break;
        const id = this.tokenOf[node];
        if (id >= 0) {
          bestId = id;
          bestEnd = j + 1;
        }
      }
      if (bestId < 0) {
        ids.length = mark;
        spans.length = smark;
        ids.push(this.unkId);
        spans.push(ws, we);
        return 1;
      }
      ids.push(bestId);
      spans.push(pos, bestEnd);
      pos = bestEnd;
      root = ROOT_CONTINUATION;
    }
    return ids.length - mark;
  }
}
