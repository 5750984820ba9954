// Learns a WordPiece vocabulary from raw text as HF's WordPieceTrainer does (a BPE trainer with
// "##" continuation): words are normalized and pre-tokenized like the tokenizer's input and counted;
// the vocabulary starts with the special tokens, then the alphabet (each character, by code point,
// at most `limitAlphabet` of the most frequent), then "##c" for characters seen inside words; then
// the most frequent adjacent pair is merged ("##" dropped from the right part) until the vocabulary
// has `size` tokens or no pair occurs `minFrequency` times. Ties go to the pair of smaller ids, and
// words are visited in sorted order, so the result is the same on every run.
//
// Counting streams: only the table of distinct words is held, so files larger than memory work.
import { BertError } from '../errors.js';
import { readLines } from '../io/lines.js';
import { BertNormalizer, type NormalizerOptions } from './normalizer.js';
import { splitWords } from './pre-tokenizer.js';
import { SPECIAL_TOKENS, Vocab } from './vocab.js';

export interface TrainerOptions {
  size: number;
  lowercase?: boolean;
  minFrequency?: number;
  limitAlphabet?: number;
  specialTokens?: string[];
}

/** Counts normalized, pre-tokenized words: feed lines, then train. */
export class WordCounter {
  readonly counts = new Map<string, number>();
  private readonly normalizer: BertNormalizer;

  constructor(lowercase = true) {
    const opts: NormalizerOptions = { cleanText: true, handleChineseChars: true, stripAccents: lowercase, lowercase };
    this.normalizer = new BertNormalizer(opts);
  }

  addLine(line: string): void {
    const text = this.normalizer.normalize(line).text;
    const spans: number[] = [];
    splitWords(text, spans);
    for (let i = 0; i < spans.length; i += 2) {
      const w = text.slice(spans[i], spans[i + 1]);
      this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
    }
  }

  /** Streams files (plain or .gz; standard input for '-') line by line. */
  async addFiles(paths: string[]): Promise<void> {
    for await (const line of readLines(paths)) this.addLine(line.text);
  }
}

/** A max-heap of candidate merges by (count desc, a asc, b asc); stale entries are skipped on pop. */
class MergeHeap {
  private count: number[] = [];
  private a: number[] = [];
  private b: number[] = [];

  get size(): number {
    return this.count.length;
  }

  private before(i: number, j: number): boolean {
    if (this.count[i] !== this.count[j]) return this.count[i] > this.count[j];
    if (this.a[i] !== this.a[j]) return this.a[i] < this.a[j];
    return this.b[i] < this.b[j];
  }

  private swap(i: number, j: number): void {
    [this.count[i], this.count[j]] = [this.count[j], this.count[i]];
    [this.a[i], this.a[j]] = [this.a[j], this.a[i]];
    [this.b[i], this.b[j]] = [this.b[j], this.b[i]];
  }

  push(count: number, a: number, b: number): void {
    this.count.push(count);
    this.a.push(a);
    this.b.push(b);
    for (let i = this.count.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, number, number] {
    const top: [number, number, number] = [this.count[0], this.a[0], this.b[0]];
    const last = this.count.length - 1;
    this.swap(0, last);
    this.count.pop();
    this.a.pop();
    this.b.pop();
    for (let i = 0; ; ) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.count.length && this.before(l, m)) m = l;
      if (r < this.count.length && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

const PAIR = 2 ** 21; // ids stay below 2M, so a·2²¹ + b is an exact number key

export function trainWordPiece(counts: Map<string, number>, opts: TrainerOptions): Vocab {
  const prefix = '##';
  const minFrequency = opts.minFrequency ?? 2;
  const specials = opts.specialTokens ?? [...SPECIAL_TOKENS];
  if (!Number.isInteger(opts.size) || opts.size < specials.length) {
    throw new BertError(`vocabulary size must be at least the ${specials.length} special tokens`);
  }
  const tokens: string[] = [];
  const ids = new Map<string, number>();
  const add = (t: string): number => {
    let id = ids.get(t);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(t);
      ids.set(t, id);
    }
    return id;
  };
  for (const s of specials) add(s);

  // The alphabet: every character (or the limitAlphabet most frequent), by code point.
  const charCount = new Map<string, number>();
  for (const [w, c] of counts) for (const ch of w) charCount.set(ch, (charCount.get(ch) ?? 0) + c);
  let alphabet = [...charCount.entries()];
  const limit = opts.limitAlphabet ?? 1000;
  if (alphabet.length > limit) {
    alphabet.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    alphabet = alphabet.slice(0, limit);
  }
  const kept = new Set(alphabet.map(([ch]) => ch));
  for (const ch of [...kept].sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!)) add(ch);

  // Words as symbol ids; a character outside the alphabet splits the word there.
  const words: Int32Array[] = [];
  const wordCount: number[] = [];
  for (const w of [...counts.keys()].sort()) {
    let syms: number[] = [];
    const flush = () => {
      if (syms.length) {
        words.push(Int32Array.from(syms));
        wordCount.push(counts.get(w)!);
      }
      syms = [];
    };
    let first = true;
    for (const ch of w) {
      if (!kept.has(ch)) {
        flush();
        first = true;
        continue;
      }
      syms.push(add(first ? ch : prefix + ch));
      first = false;
    }
    flush();
  }

  // Pair counts and where each pair occurs.
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const bump = (a: number, b: number, wi: number, delta: number) => {
    const key = a * PAIR + b;
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    if (delta > 0) {
      let set = pairWords.get(key);
      if (!set) pairWords.set(key, (set = new Set()));
      set.add(wi);
    }
  };
  words.forEach((syms, wi) => {
    for (let i = 0; i + 1 < syms.length; i++) bump(syms[i], syms[i + 1], wi, wordCount[wi]);
  });
  const heap = new MergeHeap();
  for (const [key, c] of pairCount) heap.push(c, Math.floor(key / PAIR), key % PAIR);

  while (tokens.length < opts.size && heap.size > 0) {
    const [c, a, b] = heap.pop();
    const key = a * PAIR + b;
    const current = pairCount.get(key) ?? 0;
    if (current !== c) {
      if (current > 0) heap.push(current, a, b); // stale entry: requeue with its true count
      continue;
    }
    if (c < minFrequency || c <= 0) break;
    const right = tokens[b].startsWith(prefix) ? tokens[b].slice(prefix.length) : tokens[b];
    const merged = add(tokens[a] + right);
    const touched = new Set<number>();
    for (const wi of pairWords.get(key) ?? []) {
      const syms = words[wi];
      const n = wordCount[wi];
      const out: number[] = [];
      let changed = false;
      for (let i = 0; i < syms.length; ) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          if (out.length) {
            bump(out[out.length - 1], a, wi, -n);
            bump(out[out.length - 1], merged, wi, n);
            touched.add(out[out.length - 1] * PAIR + merged);
          }
          if (i + 2 < syms.length) {
            // the pair (b, next) becomes (merged, next), unless next starts another (a, b) merge here
            bump(b, syms[i + 2], wi, -n);
            bump(merged, syms[i + 2], wi, n);
            touched.add(merged * PAIR + syms[i + 2]);
          }
          bump(a, b, wi, -n);
          out.push(merged);
          i += 2;
          changed = true;
        } else {
          out.push(syms[i]);
          i++;
        }
      }
      if (changed) words[wi] = Int32Array.from(out);
    }
    pairWords.delete(key);
    pairCount.delete(key);
    for (const k of touched) {
      const cnt = pairCount.get(k) ?? 0;
      if (cnt > 0) heap.push(cnt, Math.floor(k / PAIR), k % PAIR);
    }
  }
  return new Vocab(tokens, '(trained)');
}
