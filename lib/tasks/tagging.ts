// Token tagging (NER, POS): sentences as words with one tag each, from CoNLL files
// (`token<TAB or space>…tag`, a blank line between sentences, -DOCSTART- skipped) or JSON Lines
// ({"words"|"tokens": […], "tags"|"ner_tags": […]}); plain text lines for prediction. As in HF's
// token-classification recipe the label sits on the first piece of each word (the other pieces are
// ignored, −100), and predictions are read back from the first pieces. Entity-level precision,
// recall and F1 follow conlleval/seqeval's default chunking of IOB tags.
import { extname } from 'node:path';
import { BertError } from '../errors.js';
import { readInput } from '../io/read.js';
import type { Batch } from '../model/encoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

export interface TaggedSentence {
  words: string[];
  tags: string[] | null;
  file: string;
  line: number;
}

export function readTagged(path: string, opts: { skipBad?: boolean } = {}): { sentences: TaggedSentence[]; skipped: number[] } {
  let text = readInput(path, 'file', 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: TaggedSentence[] = [];
  const skipped: number[] = [];
  const bad = (line: number, reason: string) => {
    if (!opts.skipBad) throw new BertError(reason, { where: `${path}:${line}`, hint: '--skip-bad skips such sentences' });
    skipped.push(line);
  };
  const lines = text.split(/\r?\n/);
  if (['.jsonl', '.ndjson', '.json'].includes(extname(path).toLowerCase())) {
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(l);
      } catch {
        return bad(i + 1, 'not a JSON object');
      }
      const words = (v.words ?? v.tokens) as unknown;
      const tags = (v.tags ?? v.ner_tags ?? v.pos_tags ?? null) as unknown;
      if (!Array.isArray(words)) return bad(i + 1, 'no "words" (or "tokens") list');
      if (tags !== null && (!Array.isArray(tags) || tags.length !== words.length)) return bad(i + 1, `"tags" must list one tag per word (${words.length})`);
      out.push({ words: words.map(String), tags: tags ? (tags as unknown[]).map(String) : null, file: path, line: i + 1 });
    });
    return { sentences: out, skipped };
  }
  let words: string[] = [], tags: string[] = [], start = 0, labelled: boolean | null = null;
  const flush = () => {
    if (words.length) out.push({ words, tags: labelled ? tags : null, file: path, line: start });
    words = [];
    tags = [];
    labelled = null;
  };
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (!l) return flush();
    const cols = l.split(/[\t ]+/);
    if (cols[0] === '-DOCSTART-') return;
    if (!words.length) start = i + 1;
    const hasTag = cols.length >= 2;
    if (labelled !== null && labelled !== hasTag) return bad(i + 1, 'some words of this sentence have a tag and some do not');
    labelled = hasTag;
    words.push(cols[0]);
    tags.push(cols[cols.length - 1]);
  });
  flush();
  if (!out.length && !skipped.length) throw new BertError('no sentences', { where: path });
  return { sentences: out, skipped };
}

/** Plain text lines (one sentence a line) as unlabelled sentences, words split on whitespace. */
export function sentencesFromLines(lines: { text: string; file: string; line: number }[]): TaggedSentence[] {
  return lines.map((l) => ({ words: l.text.split(/\s+/).filter(Boolean), tags: null, file: l.file, line: l.line }));
}

export function tagNames(sents: TaggedSentence[]): string[] {
  const set = new Set<string>();
  for (const s of sents) {
    if (!s.tags) throw new BertError('a training sentence has no tags', { where: `${s.file}:${s.line}` });
    for (const t of s.tags) set.add(t);
  }
  if (set.size < 2) throw new BertError(`the training data has ${set.size} tag, a tagger needs at least 2`);
  return [...set].sort();
}

export interface TagExample {
  ids: Int32Array;
  typeIds: Int32Array;
  /** per token: the word's tag id on its first piece, −100 elsewhere; null when unlabelled */
  labels: Int32Array | null;
  /** per word: the token index of its first piece, −1 when truncated away */
  firstPiece: Int32Array;
  index: number;
}

export function encodeTagged(sents: TaggedSentence[], tok: Tokenizer, labels: string[] | null, maxLength: number): { examples: TagExample[]; truncated: number } {
  const ids = labels ? new Map(labels.map((l, i) => [l, i])) : null;
  const cls = tok.vocab.special('[CLS]'), sep = tok.vocab.special('[SEP]'), unk = tok.vocab.special('[UNK]');
  let truncated = 0;
  const examples = sents.map((s, index) => {
    const pieces: number[] = [cls], lab: number[] = [-100];
    const first = new Int32Array(s.words.length).fill(-1);
    let cut = false;
    s.words.forEach((w, k) => {
      let p = tok.pieces(w).ids;
      if (!p.length) p = [unk]; // a word that normalizes to nothing still gets a position
      if (pieces.length + p.length > maxLength - 1) { cut = true; return; }
      first[k] = pieces.length;
      pieces.push(...p);
      let tag = -100;
      if (ids && s.tags) {
        const t = ids.get(s.tags[k]);
        if (t === undefined) throw new BertError(`unknown tag '${s.tags[k]}'`, { where: `${s.file}:${s.line}`, hint: `the model knows ${labels!.join(', ')}` });
        tag = t;
      }
      lab.push(tag, ...new Array(p.length - 1).fill(-100));
    });
    if (cut) truncated++;
    pieces.push(sep);
    lab.push(-100);
    return { ids: Int32Array.from(pieces), typeIds: new Int32Array(pieces.length), labels: ids ? Int32Array.from(lab) : null, firstPiece: first, index };
  });
  return { examples, truncated };
}

export function collateTagged(xs: TagExample[], padId: number): { batch: Batch; labels: Int32Array } {
  const B = xs.length, T = Math.max(...xs.map((x) => x.ids.length));
  const inputIds = new Int32Array(B * T).fill(padId), typeIds = new Int32Array(B * T), attentionMask = new Int32Array(B * T);
  const labels = new Int32Array(B * T).fill(-100);
  xs.forEach((x, b) => {
    inputIds.set(x.ids, b * T);
    attentionMask.fill(1, b * T, b * T + x.ids.length);
    if (x.labels) labels.set(x.labels, b * T);
  });
  return { batch: { B, T, inputIds, typeIds, attentionMask }, labels };
}

/** Entity spans (type, start, end exclusive) of an IOB tag sequence, conlleval's lenient rules. */
export function entities(tags: string[]): [string, number, number][] {
  const out: [string, number, number][] = [];
  let type: string | null = null, start = 0;
  const parse = (t: string): [string, string] => (/^[BIES]-/.test(t) ? [t[0], t.slice(2)] : t === 'O' ? ['O', ''] : ['O', '']);
  tags.forEach((t, i) => {
    const [p, ty] = parse(t);
    const begins = p === 'B' || p === 'S' || (p === 'I' && ty !== type) || (p === 'E' && ty !== type);
    if (type !== null && (p === 'O' || begins)) {
      out.push([type, start, i]);
      type = null;
    }
    if (p !== 'O' && begins) {
      type = ty;
      start = i;
    }
    if (type !== null && (p === 'S' || p === 'E')) {
      out.push([type, start, i + 1]);
      type = null;
    }
  });
  if (type !== null) out.push([type, start, tags.length]);
  return out;
}

export interface TaggingMetrics {
  precision: number;
  recall: number;
  f1: number;
  token_accuracy: number;
  per_type: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  sentences: number;
}

export function taggingMetrics(gold: string[][], pred: string[][]): TaggingMetrics {
  const div = (a: number, b: number) => (b ? a / b : 0);
  let right = 0, total = 0;
  const stats = new Map<string, { tp: number; fp: number; fn: number }>();
  const get = (t: string) => stats.get(t) ?? (stats.set(t, { tp: 0, fp: 0, fn: 0 }), stats.get(t)!);
  gold.forEach((g, i) => {
    g.forEach((t, k) => { total++; if (pred[i][k] === t) right++; });
    const ge = new Set(entities(g).map((e) => e.join('|'))), pe = new Set(entities(pred[i]).map((e) => e.join('|')));
    for (const e of pe) { const t = e.split('|')[0]; if (ge.has(e)) get(t).tp++; else get(t).fp++; }
    for (const e of ge) if (!pe.has(e)) get(e.split('|')[0]).fn++;
  });
  let tp = 0, fp = 0, fn = 0;
  const per: TaggingMetrics['per_type'] = {};
  for (const [t, s] of [...stats].sort()) {
    tp += s.tp; fp += s.fp; fn += s.fn;
    const p = div(s.tp, s.tp + s.fp), r = div(s.tp, s.tp + s.fn);
    per[t] = { precision: p, recall: r, f1: div(2 * p * r, p + r), support: s.tp + s.fn };
  }
  const p = div(tp, tp + fp), r = div(tp, tp + fn);
  return { precision: p, recall: r, f1: div(2 * p * r, p + r), token_accuracy: div(right, total), per_type: per, sentences: gold.length };
}
