// Token tagging (NER, POS): sentences as words with one tag each, from CoNLL files
// (`token<TAB or space>…tag`, a blank line between sentences, -DOCSTART- skipped) or JSON Lines
// ({"words"|"tokens": […], "tags"|"ner_tags": […]}); plain text lines for prediction. As in HF's
// token-classification recipe the label sits on the first piece of each word (the other pieces are
// ignored, −100; with labelAllTokens, HF's label_all_tokens, they carry the word's tag, B- as I-),
// and predictions are read back from the first pieces. Entity-level precision,
// recall and F1 follow conlleval/seqeval's default chunking of IOB tags.
import { DEFAULT_MAX_LENGTH, DEFAULTS } from '../defaults.js';
import { textEntities, textWindows } from './entities.js';
import { extname } from 'node:path';
import { BertError } from '../errors.js';
import { readLines } from '../io/lines.js';
import { readInput } from '../io/read.js';
import type { Batch } from '../model/encoder.js';
import { jsonObjectLine } from './records.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { argmax, padBatch } from './batching.js';
import type { Chunk, Dataset, FamilyContext, TaskFamily } from './family.js';
import { streamChunks } from './inputs.js';
import { labelConfig } from './sequence.js';

export interface TaggedSentence {
  words: string[];
  /** a raw text to tag whole (prediction): tokenized with offsets, read in windows, entities found */
  text?: string;
  tags: string[] | null;
  file: string;
  line: number;
}

/**
 * The line-by-line core of the CoNLL and JSON Lines readers: lines go in, sentences come out in
 * `sentences` (a CoNLL sentence when its blank line or the end arrives).
 */
function taggedParser(path: string, opts: { skipBad?: boolean }) {
  const sentences: TaggedSentence[] = [];
  const skipped: number[] = [];
  const bad = (line: number, reason: string) => {
    if (!opts.skipBad) throw new BertError(reason, { where: `${path}:${line}`, hint: '--skip-bad skips such sentences' });
    skipped.push(line);
  };
  const ext = extname(path.endsWith('.gz') ? path.slice(0, -3) : path).toLowerCase();
  const jsonl = ['.jsonl', '.ndjson', '.json'].includes(ext);
  if (ext === '.csv') throw new BertError(`tagging reads CoNLL (a word and its tag a line, a blank line between sentences) or JSON Lines, not CSV; a CSV of texts and labels is for --task classify`, { where: path });
  let words: string[] = [], tags: string[] = [], start = 0, labelled: boolean | null = null;
  const flush = () => {
    if (words.length) sentences.push({ words, tags: labelled ? tags : null, file: path, line: start });
    words = [];
    tags = [];
    labelled = null;
  };
  const line = (raw: string, n: number) => {
    if (jsonl) {
      const v = jsonObjectLine(raw, (reason) => bad(n, reason));
      if (!v) return;
      const w = (v.words ?? v.tokens) as unknown;
      const t = (v.tags ?? v.ner_tags ?? v.pos_tags ?? null) as unknown;
      if (!Array.isArray(w)) return bad(n, 'no "words" (or "tokens") list');
      if (t !== null && (!Array.isArray(t) || t.length !== w.length)) return bad(n, `"tags" must list one tag per word (${w.length})`);
      sentences.push({ words: w.map(String), tags: t ? (t as unknown[]).map(String) : null, file: path, line: n });
      return;
    }
    const l = raw.trim();
    if (!l) return flush();
    // a CoNLL word has no spaces: a tab-separated line whose first column does is a row of a
    // classification TSV (text<TAB>label), which would otherwise read as one endless sentence
    const tab = raw.indexOf('\t');
    if (tab > 0 && /\s/.test(raw.slice(0, tab).trim())) {
      throw new BertError(`tagging reads CoNLL (a word and its tag a line, a blank line between sentences), but this line's first column has spaces; a TSV of texts and labels is for --task classify`, { where: `${path}:${n}` });
    }
    const cols = l.split(/[\t ]+/);
    if (cols[0] === '-DOCSTART-') return;
    if (!words.length) start = n;
    const hasTag = cols.length >= 2;
    if (labelled !== null && labelled !== hasTag) return bad(n, 'some words of this sentence have a tag and some do not');
    labelled = hasTag;
    words.push(cols[0]);
    tags.push(cols[cols.length - 1]);
  };
  return { sentences, skipped, line, end: flush };
}

export function readTagged(path: string, opts: { skipBad?: boolean } = {}): { sentences: TaggedSentence[]; skipped: number[] } {
  let text = readInput(path, 'file', 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const p = taggedParser(path, opts);
  text.split(/\r?\n/).forEach((l, i) => p.line(l, i + 1));
  p.end();
  if (!p.sentences.length && !p.skipped.length) throw new BertError('no sentences', { where: path });
  return { sentences: p.sentences, skipped: p.skipped };
}

/** The sentences of a CoNLL or JSON Lines file as a stream, in chunks of at most `size`. */
export async function* streamTagged(path: string, size: number, opts: { skipBad?: boolean; onCut?: () => void } = {}): AsyncGenerator<TaggedSentence[]> {
  const p = taggedParser(path, opts);
  let any = false;
  for await (const l of readLines([path], { onCut: opts.onCut })) {
    p.line(l.text, l.line);
    if (p.sentences.length >= size) {
      any = true;
      yield p.sentences.splice(0);
    }
  }
  p.end();
  if (!any && !p.sentences.length && !p.skipped.length) throw new BertError('no sentences', { where: path });
  if (p.sentences.length) yield p.sentences.splice(0);
}

/** Plain text lines (one text a line) as raw texts to tag whole. */
export function sentencesFromLines(lines: { text: string; file: string; line: number }[]): TaggedSentence[] {
  return lines.map((l) => ({ words: [], text: l.text, tags: null, file: l.file, line: l.line }));
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

/**
 * Sentences as token ids with each word's tag on its first piece. A sentence longer than maxLength
 * is cut at the first word that does not fit, and every word after it goes too (as HF's truncation of
 * pre-split words: the model never sees a sentence with a hole in it); `truncated` counts the
 * sentences cut, `wordsCut` the words they lost.
 */
export function encodeTagged(sents: TaggedSentence[], tok: Tokenizer, labels: string[] | null, maxLength: number, o: { labelAllTokens?: boolean } = {}): { examples: TagExample[]; truncated: number; wordsCut: number } {
  const ids = labels ? new Map(labels.map((l, i) => [l, i])) : null;
  // label_all_tokens: a word's later pieces carry its tag, a B- tag as its I- (HF's b_to_i_label)
  const later = (t: number): number => {
    if (!o.labelAllTokens || t < 0) return -100;
    const name = labels![t];
    return name.startsWith('B-') ? ids!.get('I-' + name.slice(2)) ?? t : t;
  };
  const cls = tok.vocab.special('[CLS]'), sep = tok.vocab.special('[SEP]'), unk = tok.vocab.special('[UNK]');
  let truncated = 0, wordsCut = 0;
  const examples = sents.map((s, index) => {
    const pieces: number[] = [cls], lab: number[] = [-100];
    const first = new Int32Array(s.words.length).fill(-1);
    let cut = false;
    s.words.forEach((w, k) => {
      if (cut) return;
      let p = tok.pieces(w).ids;
      if (!p.length) p = [unk]; // a word that normalizes to nothing still gets a position
      if (pieces.length + p.length > maxLength - 1) {
        cut = true;
        wordsCut += s.words.length - k;
        return;
      }
      first[k] = pieces.length;
      pieces.push(...p);
      let tag = -100;
      if (ids && s.tags) {
        const t = ids.get(s.tags[k]);
        if (t === undefined) throw new BertError(`unknown tag '${s.tags[k]}'`, { where: `${s.file}:${s.line}`, hint: `the model knows ${labels!.join(', ')}` });
        tag = t;
      }
      lab.push(tag, ...new Array(p.length - 1).fill(later(tag)));
    });
    if (cut) truncated++;
    pieces.push(sep);
    lab.push(-100);
    return { ids: Int32Array.from(pieces), typeIds: new Int32Array(pieces.length), labels: ids ? Int32Array.from(lab) : null, firstPiece: first, index };
  });
  return { examples, truncated, wordsCut };
}

export function collateTagged(xs: TagExample[], padId: number): { batch: Batch; labels: Int32Array } {
  const batch = padBatch(xs, padId);
  const labels = new Int32Array(batch.B * batch.T).fill(-100);
  xs.forEach((x, b) => x.labels && labels.set(x.labels, b * batch.T));
  return { batch, labels };
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

/** Whether tags are IOB chunks (B-PER, I-LOC …): scored by entity F1, else by token accuracy. */
const isIob = (labels: string[]) => labels.some((l) => /^[BIES]-/.test(l));

/** A sentence to tag: its words, or a text split on whitespace. */
export type TagInput = string | string[];

/** Each word's tag id: its first piece's argmax of an example's logits ([tokens × labels]); −1 for a word cut by the max length. */
export function wordTags(x: TagExample, logits: Float32Array): Int32Array {
  const L = logits.length / x.ids.length;
  return Int32Array.from(x.firstPiece, (t) => (t < 0 ? -1 : argmax(logits, t * L, (t + 1) * L)));
}

/**
 * tag: a label per word from the token at its first piece (HF's BertForTokenClassification); the
 * prediction for a word is its first piece's argmax. An example's output is its tokens' logits
 * ([tokens × labels]), which a raw text's entities need whole.
 */
export const tag: TaskFamily<TagExample, Float32Array, Dataset<TagExample>, TagInput> = {
  name: 'tag',
  arch: 'BertForTokenClassification',
  unit: 'sentence',
  maxLength: DEFAULT_MAX_LENGTH,
  recognizes: (cfg) => cfg.architectures?.[0] === 'BertForTokenClassification',
  metric: (labels) => (isIob(labels) ? 'entity F1' : 'token accuracy'),
  read(file, ctx, labels) {
    const t = readTagged(file, { skipBad: ctx.skipBad });
    const names = labels ?? tagNames(t.sentences);
    const labelAllTokens = ctx.labelAllTokens ?? ctx.config?.bert_cli_label_all_tokens === true;
    const { examples, truncated, wordsCut } = encodeTagged(t.sentences, ctx.tokenizer, names, ctx.maxLength, { labelAllTokens });
    return { file, examples, labels: names, skipped: t.skipped, truncated, wordsCut, notes: [], counts: { truncated, words_cut: wordsCut, skipped: t.skipped.length } };
  },
  config: (train, ctx) => ({ ...labelConfig('tag', train.labels), ...(ctx.labelAllTokens ? { bert_cli_label_all_tokens: true } : {}) }),
  classes: (labels) => labels,
  length: (e) => e.ids.length,
  collate(xs, padId, labelled) {
    const { batch, labels } = collateTagged(xs, padId);
    return { batch, targets: labelled ? { labels } : null };
  },
  outputs(r, xs, batch) {
    const L = r.logits!.length / (batch.B * batch.T);
    return xs.map((x, j) => r.logits!.slice(j * batch.T * L, (j * batch.T + x.ids.length) * L));
  },
  score(outputs, data) {
    // words cut by the max length are scored as 'O' on both sides
    const name = (k: number) => (k < 0 ? 'O' : data.labels[k]);
    const pred = outputs.map((p, i) => Array.from(wordTags(data.examples[i], p), name));
    const gold = data.examples.map((x) => Array.from(x.firstPiece, (t) => (t < 0 ? 'O' : data.labels[x.labels![t]])));
    const m = taggingMetrics(gold, pred);
    return { score: isIob(data.labels) ? m.f1 : m.token_accuracy, metrics: { ...m } };
  },
  async *inputs(files, ctx) {
    const stream = streamChunks(files, 4096, {
      extensions: ['.conll', '.conllu', '.iob', '.bio', '.jsonl', '.ndjson', '.json'], onCut: ctx.onCut,
      file: (p) => streamTagged(p, 4096, { onCut: ctx.onCut }),
      lines: sentencesFromLines,
    });
    for await (const sents of stream) yield tagChunk(sents, ctx);
  },
  values: (xs, ctx) => tagChunk(xs.map((x, i) => {
    if (typeof x === 'string') return { words: [], text: x, tags: null, file: 'input', line: i };
    if (!Array.isArray(x)) throw new BertError(`a tagger takes a text or a list of words, not ${x === null ? 'null' : typeof x}`, { where: `inputs[${i}]` });
    return { words: x.map(String), tags: null, file: 'input', line: i };
  }), ctx),
};

/**
 * Sentences given as words → {words, tags}; raw texts → {words, tags, entities}: the text is
 * tokenized whole and read in windows (entities.ts), each token taking its logits from the window
 * where it has the most context on both sides, each word its first piece's tag.
 */
function tagChunk(sents: TaggedSentence[], ctx: FamilyContext): Chunk<TagExample, Float32Array> {
  const labels = ctx.labels ?? [];
  const tok = ctx.tokenizer, cls = tok.vocab.special('[CLS]'), sep = tok.vocab.special('[SEP]');
  const strategy = ctx.tag?.aggregation ?? DEFAULTS.tag.aggregation;
  const stride = ctx.tag?.stride ?? Math.min(DEFAULTS.tag.stride, Math.floor((ctx.maxLength - 2) / 2));
  const examples: TagExample[] = [];
  const plan = sents.map((s) => {
    const first = examples.length;
    if (s.text === undefined) {
      examples.push({ ...encodeTagged([s], tok, null, ctx.maxLength).examples[0], index: first });
      return { first, text: null };
    }
    const p = tok.pieces(s.text), windows = textWindows(p, cls, sep, ctx.maxLength, stride);
    for (const w of windows) examples.push({ ids: w.ids, typeIds: w.typeIds, labels: null, firstPiece: new Int32Array(0), index: examples.length });
    return { first, text: s.text, p, windows };
  });
  const name = (k: number) => (k < 0 ? null : labels[k]);
  return {
    examples,
    rows: (outs) => plan.map((q, i) => {
      if (q.text === null) return { words: sents[i].words, tags: Array.from(wordTags(examples[q.first], outs[q.first]), name) };
      const logits = q.windows!.map((_, k) => outs[q.first + k]);
      const L = labels.length, p = q.p!, words: string[] = [], tags: (string | null)[] = [];
      let k = 0;
      for (let j = 0; j < p.ids.length; j++) {
        if (j > 0 && p.words[j] === p.words[j - 1]) continue;
        let end = j;
        while (end + 1 < p.ids.length && p.words[end + 1] === p.words[j]) end++;
        words.push(q.text.slice(p.offsets[2 * j], p.offsets[2 * end + 1]));
        // the window where piece j has the most context: the largest distance to either edge
        while (k + 1 < q.windows!.length && q.windows![k + 1].from <= j && Math.min(j - q.windows![k + 1].from, q.windows![k + 1].to - 1 - j) > Math.min(j - q.windows![k].from, q.windows![k].to - 1 - j)) k++;
        const t = j - q.windows![k].from + 1;
        tags.push(labels[argmax(logits[k], t * L, (t + 1) * L)]);
      }
      return { words, tags, entities: textEntities(q.text, p, q.windows!, logits, labels, tok, strategy) };
    }),
  };
}
