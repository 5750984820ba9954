// Entities from a tagger, as HF's token-classification pipeline makes them: a raw text is tokenized
// whole (offsets into the original string), read in windows of maxLength tokens that share `stride`
// tokens (HF's return_overflowing_tokens), each token's tag scores are the softmax of its logits, and
// the aggregation strategy merges word pieces into words (first / average / max) and B-/I- tags into
// entity groups (simple and the three word strategies); "O" is left out, and where windows overlap
// the longer (then the surer) of two overlapping entities is kept (aggregate_overlapping_entities).
// Offsets are JavaScript string indices: text.slice(start, end) is the entity.
import { BertError, UsageError } from '../errors.js';
import type { Pieces } from '../tokenizer/encoding.js';
import { tokensToString, type Tokenizer } from '../tokenizer/tokenizer.js';
import { argmax } from './batching.js';

export const AGGREGATIONS = ['none', 'simple', 'first', 'average', 'max'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** One token's tag (aggregation none): HF's fields, `index` the token's position in its window. */
export interface TokenEntity { entity: string; score: number; index: number; word: string; start: number; end: number }
/** A merged entity (every other strategy). */
export interface EntityGroup { entity_group: string; score: number; word: string; start: number; end: number }
export type Entity = TokenEntity | EntityGroup;

export function aggregation(name: string, where = 'aggregation_strategy'): Aggregation {
  if (!(AGGREGATIONS as readonly string[]).includes(name)) throw new UsageError(`unknown aggregation strategy '${name}'`, { where, hint: `one of ${AGGREGATIONS.join(', ')}` });
  return name as Aggregation;
}

/** A window of a text's pieces: pieces [from, to) of the whole text between [CLS] and [SEP]. */
export interface TextWindow { ids: Int32Array; typeIds: Int32Array; from: number; to: number }

/**
 * The windows HF's tokenizer gives with truncation, max_length and stride: maxLength − 2 pieces
 * each, the next starting `stride` pieces before the previous one ends, the last ending at the text's
 * end. A text with no pieces still gets one window ([CLS] [SEP]).
 */
export function textWindows(p: Pieces, cls: number, sep: number, maxLength: number, stride: number): TextWindow[] {
  const L = maxLength - 2;
  if (L < 1) throw new UsageError(`--max-length ${maxLength} leaves no room for a token between [CLS] and [SEP]`, { where: '--max-length' });
  if (stride >= L) throw new UsageError(`a stride of ${stride} tokens leaves windows of ${L} tokens no room to move on`, { where: '--stride', hint: `at most ${L - 1} at --max-length ${maxLength}` });
  const n = p.ids.length, out: TextWindow[] = [];
  for (let from = 0; ; from += L - stride) {
    const to = Math.min(n, from + L);
    const ids = Int32Array.from([cls, ...p.ids.slice(from, to), sep]);
    out.push({ ids, typeIds: new Int32Array(ids.length), from, to });
    if (to >= n) return out;
  }
}

/** Softmax of each row of `logits` ([rows × L]) in float64, as numpy's max-subtracted exp / sum. */
export function rowSoftmax(logits: ArrayLike<number>, row: number, L: number): Float64Array {
  const out = new Float64Array(L);
  let max = -Infinity, sum = 0;
  for (let j = 0; j < L; j++) max = Math.max(max, logits[row * L + j]);
  for (let j = 0; j < L; j++) sum += out[j] = Math.exp(logits[row * L + j] - max);
  for (let j = 0; j < L; j++) out[j] /= sum;
  return out;
}

const codePoints = (s: string) => { let n = 0; for (const _ of s) n++; return n; };

interface PreEntity { word: string; scores: Float64Array; start: number; end: number; index: number; isSubword: boolean }

/**
 * The entities of one text from its windows' logits (each [window length × labels], [CLS] and [SEP]
 * included), by HF's gather_pre_entities → aggregate → filter "O" → aggregate_overlapping_entities.
 */
export function textEntities(text: string, p: Pieces, windows: TextWindow[], logits: Float32Array[], labels: string[], tok: Tokenizer, strategy: Aggregation, ignore: readonly string[] = ['O']): Entity[] {
  const L = labels.length;
  const unk = tok.vocab.ids.get('[UNK]');
  let all: Entity[] = [];
  windows.forEach((w, k) => {
    if (logits[k].length !== w.ids.length * L) throw new BertError(`window ${k} has ${logits[k].length} logits, not ${w.ids.length} × ${L}`);
    const pre: PreEntity[] = [];
    for (let i = w.from; i < w.to; i++) {
      const t = i - w.from + 1; // the token's position in its window, after [CLS]
      const start = p.offsets[2 * i], end = p.offsets[2 * i + 1], ref = text.slice(start, end);
      let word = tok.vocab.tokens[p.ids[i]];
      // WordPiece has a continuing-subword prefix: HF tells a word's later pieces by their length
      let isSubword = codePoints(word) !== codePoints(ref);
      if (p.ids[i] === unk) { word = ref; isSubword = false; }
      pre.push({ word, scores: rowSoftmax(logits[k], t, L), start, end, index: t, isSubword });
    }
    const ents = aggregate(pre, strategy, labels);
    all.push(...ents.filter((e) => !ignore.includes('entity' in e ? e.entity : e.entity_group)));
  });
  if (windows.length > 1) all = overlapping(all);
  return all;
}

function aggregate(pre: PreEntity[], strategy: Aggregation, labels: string[]): Entity[] {
  if (strategy === 'none' || strategy === 'simple') {
    const tokens: TokenEntity[] = pre.map((e) => {
      const i = argmax(e.scores);
      return { entity: labels[i], score: e.scores[i], index: e.index, word: e.word, start: e.start, end: e.end };
    });
    return strategy === 'none' ? tokens : groupEntities(tokens);
  }
  const words: TokenEntity[] = [];
  let group: PreEntity[] = [];
  for (const e of pre) {
    if (group.length && !e.isSubword) { words.push(aggregateWord(group, strategy, labels)); group = []; }
    group.push(e);
  }
  if (group.length) words.push(aggregateWord(group, strategy, labels));
  return groupEntities(words);
}

function aggregateWord(g: PreEntity[], strategy: Aggregation, labels: string[]): TokenEntity {
  let scores: Float64Array;
  if (strategy === 'first') scores = g[0].scores;
  else if (strategy === 'max') scores = g.reduce((best, e) => (Math.max(...e.scores) > Math.max(...best.scores) ? e : best)).scores;
  else {
    scores = new Float64Array(g[0].scores.length);
    for (const e of g) e.scores.forEach((s, j) => (scores[j] += s / g.length));
  }
  const i = argmax(scores);
  return { entity: labels[i], score: scores[i], index: g[0].index, word: tokensToString(g.map((e) => e.word)), start: g[0].start, end: g[g.length - 1].end };
}

/** B-X then I-X … (or a tag without B-/I-, read as I-) make one group; a B- or another type starts the next. */
function groupEntities(tokens: TokenEntity[]): EntityGroup[] {
  const tagOf = (name: string): [string, string] => (name.startsWith('B-') ? ['B', name.slice(2)] : name.startsWith('I-') ? ['I', name.slice(2)] : ['I', name]);
  const groups: EntityGroup[] = [];
  let run: TokenEntity[] = [];
  const flush = () => {
    if (!run.length) return;
    const name = run[0].entity, dash = name.indexOf('-');
    groups.push({ entity_group: dash < 0 ? name : name.slice(dash + 1), score: run.reduce((s, e) => s + e.score, 0) / run.length, word: tokensToString(run.map((e) => e.word)), start: run[0].start, end: run[run.length - 1].end });
    run = [];
  };
  for (const e of tokens) {
    if (run.length) {
      const [bi, tag] = tagOf(e.entity), [, last] = tagOf(run[run.length - 1].entity);
      if (!(tag === last && bi !== 'B')) flush();
    }
    run.push(e);
  }
  flush();
  return groups;
}

/** Of entities from overlapping windows, sorted by start: the longer, then the surer, of two that overlap. */
function overlapping(es: Entity[]): Entity[] {
  if (!es.length) return es;
  const sorted = [...es].sort((a, b) => a.start - b.start);
  const out: Entity[] = [];
  let prev = sorted[0];
  for (const e of sorted) {
    if (prev.start <= e.start && e.start < prev.end) {
      const len = e.end - e.start, prevLen = prev.end - prev.start;
      if (len > prevLen || (len === prevLen && e.score > prev.score)) prev = e;
    } else {
      out.push(prev);
      prev = e;
    }
  }
  out.push(prev);
  return out;
}
