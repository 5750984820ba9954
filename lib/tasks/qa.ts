// Extractive question answering (SQuAD v1.1 and v2.0), as HF's run_qa does it: the question and the
// context go in as a pair, the context in overlapping windows when it is longer than the model takes;
// the model scores every token as the answer's start and end; the best span over all windows (n-best
// starts × n-best ends, at most maxAnswerLength tokens, inside the context) is the answer, given as
// text with its character offsets in the original context. With v2 data the model also learns to
// point at [CLS] for "no answer", and predicts none when that beats the best span by the threshold.
// EM and F1 follow the official SQuAD v2.0 evaluation script (its normalisation, best over the gold
// answers, HasAns/NoAns breakdown), which gives the v1.1 script's figures on data with answers.
import { DEFAULTS } from '../defaults.js';
import { extname } from 'node:path';
import { BertError } from '../errors.js';
import { readInput } from '../io/read.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { padBatch, softmax } from './batching.js';
import type { Chunk, Dataset, FamilyContext, TaskFamily } from './family.js';
import { jsonObjectLine } from './records.js';
import type { Example } from './sequence.js';

export interface QaRecord {
  id: string;
  question: string;
  context: string;
  /** gold answers, start in UTF-16 units of the context; empty for an unanswerable (v2) question */
  answers: { text: string; start: number }[];
  /** where it came from, for errors */
  where: string;
}

/** Offsets in SQuAD files count code points (Python's str); JavaScript strings count UTF-16 units. */
export function codePointToUnit(s: string, cp: number): number {
  let u = 0;
  for (let k = 0; k < cp && u < s.length; k++) u += s.codePointAt(u)! > 0xffff ? 2 : 1;
  return u;
}

export function unitToCodePoint(s: string, unit: number): number {
  let cp = 0;
  for (let u = 0; u < unit && u < s.length; cp++) u += s.codePointAt(u)! > 0xffff ? 2 : 1;
  return cp;
}

type Bad = (where: string, reason: string) => void;
/** told of an answer whose answer_start did not point at its text and was moved to where it is */
type Moved = (where: string) => void;

function answerOf(context: string, text: unknown, start: unknown, where: string, bad: Bad, moved: Moved): { text: string; start: number } | null {
  if (typeof text !== 'string' || !Number.isInteger(start) || (start as number) < 0) {
    bad(where, 'an answer needs "text" and a whole-number "answer_start"');
    return null;
  }
  if (text.trim() === '') {
    // an empty answer would train a zero-length span (SQuAD v2 marks "no answer" with an empty list)
    bad(where, 'an answer with an empty text (a question with no answer has an empty "answers" list)');
    return null;
  }
  const at = codePointToUnit(context, start as number);
  if (context.startsWith(text, at)) return { text, start: at };
  // a few files count offsets differently: take the occurrence nearest the given start, as long as one exists
  let best = -1;
  for (let i = context.indexOf(text); i >= 0; i = context.indexOf(text, i + 1)) if (best < 0 || Math.abs(i - at) < Math.abs(best - at)) best = i;
  if (best < 0) {
    bad(where, `answer '${text.length > 40 ? text.slice(0, 40) + '…' : text}' is not in the context`);
    return null;
  }
  moved(where);
  return { text, start: best };
}

/** Answers from HF datasets' {text: [...], answer_start: [...]}, SQuAD's [{text, answer_start}], or answer/answer_start fields. */
function answersOf(v: Record<string, unknown>, context: string, where: string, bad: Bad, moved: Moved): QaRecord['answers'] | null {
  const a = v.answers;
  const out: QaRecord['answers'] = [];
  if (a && typeof a === 'object' && !Array.isArray(a)) {
    const { text, answer_start } = a as { text?: unknown; answer_start?: unknown };
    if (!Array.isArray(text) || !Array.isArray(answer_start) || text.length !== answer_start.length) {
      bad(where, '"answers" needs lists "text" and "answer_start" of one length');
      return null;
    }
    for (let i = 0; i < text.length; i++) {
      const x = answerOf(context, text[i], answer_start[i], where, bad, moved);
      if (!x) return null;
      out.push(x);
    }
  } else if (Array.isArray(a)) {
    for (const x of a) {
      const y = x && typeof x === 'object' ? answerOf(context, (x as Record<string, unknown>).text, (x as Record<string, unknown>).answer_start, where, bad, moved) : (bad(where, 'an answer must be an object'), null);
      if (!y) return null;
      out.push(y);
    }
  } else if (v.answer !== undefined) {
    const x = answerOf(context, v.answer, v.answer_start, where, bad, moved);
    if (!x) return null;
    out.push(x);
  }
  return out;
}

/**
 * Questions from SQuAD JSON ({data: [{paragraphs: [{context, qas: [{id, question, answers, is_impossible}]}]}]})
 * or JSON Lines ({id, question, context, answers}). Unlabelled input (for predict) may leave answers out.
 */
export function readQa(path: string, opts: { skipBad?: boolean } = {}): { records: QaRecord[]; skipped: { where: string; reason: string }[]; relocated: string[] } {
  let text = readInput(path, 'file', 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: QaRecord[] = [];
  const skipped: { where: string; reason: string }[] = [];
  // answers whose answer_start missed their text (some files count offsets in bytes or UTF-16 units):
  // moved to the occurrence nearest the given start, and said (HF's run_qa would train on the wrong span)
  const relocated: string[] = [];
  const bad: Bad = (where, reason) => {
    if (!opts.skipBad) throw new BertError(reason, { where, hint: '--skip-bad skips such questions' });
    skipped.push({ where, reason });
  };
  const add = (v: Record<string, unknown>, context: unknown, where: string, fallbackId: string) => {
    if (typeof v.question !== 'string') return bad(where, 'no "question" text');
    if (typeof context !== 'string') return bad(where, 'no "context" text');
    const answers = answersOf(v, context, where, bad, (w) => relocated.push(w));
    if (!answers) return;
    records.push({ id: v.id === undefined ? fallbackId : String(v.id), question: v.question, context, answers: v.is_impossible === true ? [] : answers, where });
  };
  const trimmed = text.trimStart();
  let doc: unknown = null;
  if (trimmed.startsWith('{') && extname(path).toLowerCase() === '.json') {
    try {
      doc = JSON.parse(text);
    } catch {
      doc = null; // perhaps JSON Lines under a .json name
    }
  }
  if (doc && typeof doc === 'object' && Array.isArray((doc as { data?: unknown }).data)) {
    (doc as { data: unknown[] }).data.forEach((article, a) => {
      const paragraphs = (article as { paragraphs?: unknown })?.paragraphs;
      if (!Array.isArray(paragraphs)) return bad(`${path}: data[${a}]`, 'no "paragraphs" list');
      paragraphs.forEach((p, k) => {
        const here = `${path}: data[${a}].paragraphs[${k}]`;
        const qas = (p as { qas?: unknown })?.qas;
        if (!Array.isArray(qas)) return bad(here, 'no "qas" list');
        qas.forEach((q, j) => {
          if (!q || typeof q !== 'object') return bad(`${here}.qas[${j}]`, 'not an object');
          add(q as Record<string, unknown>, (p as { context?: unknown }).context, `${here}.qas[${j}]`, `${a}-${k}-${j}`);
        });
      });
    });
  } else {
    text.split('\n').forEach((raw, i) => {
      const v = jsonObjectLine(raw, (reason) => bad(`${path}:${i + 1}`, reason), 'not a JSON object (expected SQuAD JSON or JSON Lines with question and context)');
      if (v) add(v, v.context, `${path}:${i + 1}`, String(i + 1));
    });
  }
  if (!records.length && !skipped.length) throw new BertError('no questions', { where: path });
  return { records, skipped, relocated };
}

export interface QaSettings {
  /** tokens per window, [CLS]/[SEP] included (BERT's SQuAD recipe: 384) */
  maxLength: number;
  /** context tokens shared by consecutive windows, as HF tokenizers' stride (run_qa: 128) */
  docStride: number;
  /** question tokens kept (Google's run_squad: 64) */
  maxQueryLength: number;
}

export const QA_DEFAULTS = DEFAULTS.qa;

/** The window and answer settings a QA model was fine-tuned with (config.json), each overridable by a flag. */
export function qaSettingsOf(cfg: Record<string, unknown>, maxLength: number, flags: { docStride?: number; maxAnswerLength?: number; nBest?: number; nullThreshold?: number }): QaSettings & PostprocessOptions {
  const int = (v: unknown, d: number) => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : d);
  return {
    maxLength,
    docStride: flags.docStride ?? int(cfg.bert_cli_doc_stride, QA_DEFAULTS.docStride),
    maxQueryLength: int(cfg.bert_cli_max_query_length, QA_DEFAULTS.maxQueryLength),
    maxAnswerLength: flags.maxAnswerLength ?? QA_DEFAULTS.maxAnswerLength,
    nBest: flags.nBest ?? QA_DEFAULTS.nBest,
    v2: cfg.version_2_with_negative === true,
    nullThreshold: flags.nullThreshold ?? QA_DEFAULTS.nullThreshold,
  };
}

/** One window of one question: [CLS] question [SEP] context piece [SEP]. */
export interface QaFeature extends Example {
  /** the question it belongs to */
  record: number;
  /** per token: its [start, end) in the context (UTF-16), or −1 outside the context */
  ctxStart: Int32Array;
  ctxEnd: Int32Array;
  /** the answer's first and last token here, 0 ([CLS]) when the window does not hold it or there is none */
  startPos: number;
  endPos: number;
}

export function encodeQa(records: QaRecord[], tok: Tokenizer, s: QaSettings): { features: QaFeature[]; truncatedQuestions: number } {
  const cls = tok.vocab.special('[CLS]'), sep = tok.vocab.special('[SEP]');
  const features: QaFeature[] = [];
  let truncatedQuestions = 0;
  records.forEach((r, ri) => {
    let q = tok.pieces(r.question).ids;
    if (q.length > s.maxQueryLength) {
      q = q.slice(0, s.maxQueryLength);
      truncatedQuestions++;
    }
    const room = s.maxLength - q.length - 3;
    if (room <= s.docStride) {
      throw new BertError(`a window has room for ${room} context tokens, not more than the doc stride ${s.docStride}`, { where: r.where, hint: 'raise --max-length or lower --doc-stride' });
    }
    const c = tok.pieces(r.context);
    const n = c.ids.length;
    const gold = r.answers[0];
    for (let from = 0; ; from += room - s.docStride) {
      const to = Math.min(n, from + room);
      const len = q.length + 3 + (to - from);
      const ids = new Int32Array(len), typeIds = new Int32Array(len);
      const ctxStart = new Int32Array(len).fill(-1), ctxEnd = new Int32Array(len).fill(-1);
      ids[0] = cls;
      ids.set(q, 1);
      ids[q.length + 1] = sep;
      const off = q.length + 2;
      for (let t = from; t < to; t++) {
        ids[off + t - from] = c.ids[t];
        ctxStart[off + t - from] = c.offsets[2 * t];
        ctxEnd[off + t - from] = c.offsets[2 * t + 1];
      }
      ids[len - 1] = sep;
      typeIds.fill(1, off);
      let startPos = 0, endPos = 0;
      if (gold && to > from) {
        // the answer's tokens, when the window holds all of it (HF's rule); otherwise [CLS]
        const a = gold.start, b = gold.start + gold.text.length;
        if (ctxStart[off] <= a && ctxEnd[len - 2] >= b) {
          let i = off;
          while (i < len - 1 && ctxStart[i] <= a) i++;
          let j = len - 2;
          while (j >= off && ctxEnd[j] >= b) j--;
          startPos = i - 1;
          endPos = j + 1;
        }
      }
      features.push({ ids, typeIds, label: null, index: features.length, record: ri, ctxStart, ctxEnd, startPos, endPos });
      if (to >= n) break;
    }
  });
  return { features, truncatedQuestions };
}

export interface QaPrediction {
  id: string;
  answer: string;
  /** the answer's probability among the n-best candidates (and "no answer", for v2) */
  score: number;
  /** character offsets (code points, as SQuAD's answer_start) in the context, end exclusive; −1 for no answer */
  start: number;
  end: number;
}

export interface PostprocessOptions {
  maxAnswerLength: number;
  nBest: number;
  /** v2: answer nothing when the null score beats the best span's by more than the threshold */
  v2: boolean;
  nullThreshold: number;
}

function topIndexes(xs: Float32Array, from: number, to: number, k: number): number[] {
  const idx = Array.from({ length: to - from }, (_, i) => from + i);
  idx.sort((a, b) => xs[b] - xs[a] || a - b);
  return idx.slice(0, k);
}

/**
 * The answer of every question from its windows' start/end logits (HF's postprocess_qa_predictions):
 * `logits[f]` holds [T, 2] (start, end) for feature f.
 */
export function postprocessQa(records: QaRecord[], features: QaFeature[], logits: Float32Array[], o: PostprocessOptions): QaPrediction[] {
  const byRecord: number[][] = records.map(() => []);
  features.forEach((f, i) => byRecord[f.record].push(i));
  return records.map((r, ri) => {
    const cands: { score: number; a: number; b: number }[] = [];
    let nullScore = Infinity;
    for (const fi of byRecord[ri]) {
      const f = features[fi], L = logits[fi], T = f.ids.length;
      const start = new Float32Array(T), end = new Float32Array(T);
      for (let t = 0; t < T; t++) {
        start[t] = L[2 * t];
        end[t] = L[2 * t + 1];
      }
      nullScore = Math.min(nullScore, start[0] + end[0]); // the least confident window's "no answer", as HF
      const starts = topIndexes(start, 0, T, o.nBest), ends = topIndexes(end, 0, T, o.nBest);
      for (const i of starts) for (const j of ends) {
        if (f.ctxStart[i] < 0 || f.ctxStart[j] < 0 || j < i || j - i + 1 > o.maxAnswerLength) continue;
        cands.push({ score: start[i] + end[j], a: f.ctxStart[i], b: f.ctxEnd[j] });
      }
    }
    cands.sort((x, y) => y.score - x.score);
    const top = cands.slice(0, o.nBest);
    // probabilities among the n-best spans and, for v2, "no answer" (the last)
    const probs = softmax(o.v2 ? [...top.map((c) => c.score), nullScore] : top.map((c) => c.score));
    const best = top[0];
    if (!best || (o.v2 && nullScore - best.score > o.nullThreshold)) {
      return { id: r.id, answer: '', score: o.v2 ? probs[probs.length - 1] : 0, start: -1, end: -1 };
    }
    return { id: r.id, answer: r.context.slice(best.a, best.b), score: probs[0], start: unitToCodePoint(r.context, best.a), end: unitToCodePoint(r.context, best.b) };
  });
}

// The official script's normalisation: lower case, no punctuation (string.punctuation), no articles, single spaces.
const PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
export function normalizeAnswer(s: string): string {
  const noPunct = Array.from(s.toLowerCase()).filter((ch) => !PUNCT.has(ch)).join('');
  return noPunct.replace(/\b(a|an|the)\b/g, ' ').split(/\s+/).filter(Boolean).join(' ');
}

const tokensOf = (s: string) => normalizeAnswer(s).split(' ').filter(Boolean);

export function exactScore(gold: string, pred: string): number {
  return normalizeAnswer(gold) === normalizeAnswer(pred) ? 1 : 0;
}

export function f1Score(gold: string, pred: string): number {
  const g = tokensOf(gold), p = tokensOf(pred);
  if (!g.length || !p.length) return g.length === p.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (!same) return 0;
  const precision = same / p.length, recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

export interface SquadMetrics {
  exact: number;
  f1: number;
  total: number;
  HasAns_exact?: number;
  HasAns_f1?: number;
  HasAns_total?: number;
  NoAns_exact?: number;
  NoAns_f1?: number;
  NoAns_total?: number;
}

/** EM and F1 in percent, as the official v2.0 script prints them (gold answers that normalise to nothing count as "no answer"). */
export function squadMetrics(records: QaRecord[], preds: QaPrediction[]): SquadMetrics {
  const pct = (xs: number[]) => (xs.length ? (100 * xs.reduce((s, v) => s + v, 0)) / xs.length : 0);
  const em: number[] = [], f1: number[] = [], has: number[] = [], none: number[] = [];
  records.forEach((r, i) => {
    let gold = r.answers.map((a) => a.text).filter((t) => normalizeAnswer(t));
    if (!gold.length) gold = [''];
    const p = preds[i].answer;
    em.push(Math.max(...gold.map((g) => exactScore(g, p))));
    f1.push(Math.max(...gold.map((g) => f1Score(g, p))));
    (gold[0] === '' ? none : has).push(i);
  });
  const out: SquadMetrics = { exact: pct(em), f1: pct(f1), total: records.length };
  if (has.length) Object.assign(out, { HasAns_exact: pct(has.map((i) => em[i])), HasAns_f1: pct(has.map((i) => f1[i])), HasAns_total: has.length });
  if (none.length) Object.assign(out, { NoAns_exact: pct(none.map((i) => em[i])), NoAns_f1: pct(none.map((i) => f1[i])), NoAns_total: none.length });
  return out;
}

/** A QA data set: its windows, the questions they came from, and how answers are read off. */
export interface QaDataset extends Dataset<QaFeature> {
  records: QaRecord[];
  /** the window and answer settings it was encoded and is read with */
  post: QaSettings & PostprocessOptions;
}

/** A question about a context (id: any name for it; default its position). */
export interface QaInput {
  question: string;
  context: string;
  id?: string;
}

/**
 * The stride and question length for windows of `maxLength` tokens when no flag says: BERT's SQuAD
 * settings (128, 64) at 384 tokens and more; for shorter windows, a quarter and three eighths of the
 * window (32 and 48 at 128, as measured on the SOTU questions: README, "Every family on real data").
 */
export function qaWindowDefaults(maxLength: number): { docStride: number; maxQueryLength: number } {
  if (maxLength >= QA_DEFAULTS.maxLength) return { docStride: QA_DEFAULTS.docStride, maxQueryLength: QA_DEFAULTS.maxQueryLength };
  return { docStride: Math.max(1, Math.round(maxLength / 4)), maxQueryLength: Math.max(1, Math.round((maxLength * 3) / 8)) };
}

/** The window settings: the model's config.json when there is one (eval, predict, dev), else the flags and the defaults for the length. */
function windowSettings(ctx: FamilyContext, v2: boolean): QaSettings & PostprocessOptions {
  if (ctx.config) return qaSettingsOf(ctx.config, ctx.maxLength, ctx.qa ?? {});
  const d = qaWindowDefaults(ctx.maxLength);
  return {
    maxLength: ctx.maxLength, docStride: ctx.qa?.docStride ?? d.docStride, maxQueryLength: ctx.qa?.maxQueryLength ?? d.maxQueryLength,
    maxAnswerLength: QA_DEFAULTS.maxAnswerLength, nBest: QA_DEFAULTS.nBest, v2, nullThreshold: QA_DEFAULTS.nullThreshold,
  };
}

/** qa: start and end scores for every token of every window (HF's BertForQuestionAnswering). */
export const qa: TaskFamily<QaFeature, Float32Array, QaDataset, QaInput> = {
  name: 'qa',
  arch: 'BertForQuestionAnswering',
  unit: 'question',
  maxLength: QA_DEFAULTS.maxLength,
  recognizes: (cfg) => cfg.architectures?.[0] === 'BertForQuestionAnswering',
  metric: () => 'F1',
  read(file, ctx) {
    const t = readQa(file, { skipBad: ctx.skipBad });
    // v2 when the training data has unanswerable questions: the model then learns to point at [CLS]
    const s = windowSettings(ctx, t.records.some((r) => !r.answers.length));
    const { features } = encodeQa(t.records, ctx.tokenizer, s);
    const notes = t.relocated.length ? [`${t.relocated.length} answer${t.relocated.length === 1 ? '' : 's'} whose answer_start did not point at the answer text, moved to its nearest occurrence (first: ${t.relocated[0]})`] : [];
    if (!ctx.config) notes.push(`${t.records.length} question${t.records.length === 1 ? '' : 's'} in ${features.length} window${features.length === 1 ? '' : 's'} of ${s.maxLength} tokens${s.v2 ? ' (SQuAD v2: some have no answer)' : ''}`);
    return {
      file, examples: features, labels: [], skipped: t.skipped.map((x) => x.where), truncated: 0, notes, records: t.records, post: s,
      counts: { windows: features.length, skipped: t.skipped.length, relocated_answers: t.relocated.length },
    };
  },
  config: (train) => ({ bert_cli_task: 'qa', bert_cli_doc_stride: train.post.docStride, bert_cli_max_query_length: train.post.maxQueryLength, version_2_with_negative: train.post.v2 }),
  classes: () => undefined,
  length: (e) => e.ids.length,
  collate: (xs, padId, labelled) => ({
    batch: padBatch(xs, padId),
    targets: labelled ? { startPositions: Int32Array.from(xs, (x) => x.startPos), endPositions: Int32Array.from(xs, (x) => x.endPos) } : null,
  }),
  outputs: (r, xs, batch) => xs.map((x, j) => r.logits!.slice(2 * j * batch.T, 2 * (j * batch.T + x.ids.length))),
  score(logits, data) {
    const m = squadMetrics(data.records, postprocessQa(data.records, data.examples, logits, data.post));
    return { score: m.f1 / 100, metrics: { ...m } };
  },
  async *inputs(files, ctx) {
    for (const f of files.length ? files : ['-']) yield qaChunk(readQa(f).records, ctx);
  },
  values: (xs, ctx) => qaChunk(xs.map((x, i) => {
    if (typeof x?.question !== 'string' || typeof x?.context !== 'string') throw new BertError('a question is { question, context }', { where: `input ${i}` });
    return { id: x.id ?? String(i), question: x.question, context: x.context, answers: [], where: `input ${i}` };
  }), ctx),
};

function qaChunk(records: QaRecord[], ctx: FamilyContext): Chunk<QaFeature, Float32Array> {
  const s = windowSettings(ctx, false);
  const { features } = encodeQa(records, ctx.tokenizer, s);
  return { examples: features, rows: (logits) => postprocessQa(records, features, logits, s) as unknown as Record<string, unknown>[] };
}
