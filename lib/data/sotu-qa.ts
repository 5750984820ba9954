// Extractive questions over the State of the Union addresses, in SQuAD's format, for `finetune --task
// qa` on real text: each context is five consecutive sentences of an address; each question asks
// for one amount, percentage, date, year, number or name in it, as a cloze — the sentence that holds
// it, the span replaced by a blank, after a word naming what is asked ("How much: …"). The answer's
// character offset is where the span stands in the context. Training questions come from the
// training addresses and test questions from the held-out ones (sotuSplit), so no context is in both.
// The classical reference is "the first span of the asked type in the context" (firstOfType).
import { splitSentences } from './sentences.js';

export type SpanType = 'money' | 'percent' | 'date' | 'year' | 'number' | 'name';

const MONTH = '(?:January|February|March|April|May|June|July|August|September|October|November|December)';
/** In order of precedence: a span inside an earlier type's span is not a span of its own. */
const PATTERNS: [SpanType, RegExp][] = [
  ['money', /\$\s?\d[\d,]*(?:\.\d+)?(?:\s(?:million|billion|trillion))?/g],
  ['percent', /\b\d+(?:\.\d+)?\s?(?:percent|%)/g],
  ['date', new RegExp(`\\b${MONTH}\\s\\d{1,2}(?:,\\s\\d{4})?`, 'g')],
  ['year', /\b(?:17|18|19|20)\d\d\b/g],
  ['number', /\b\d[\d,]*(?:\.\d+)?(?:\s(?:million|billion|trillion|thousand|hundred))?\b/g],
  // two or more capitalised words, not the first word of the sentence: people, places, bodies
  ['name', /(?<=[a-z,;:]\s)[A-Z][a-z]+(?:\s(?:of\s|the\s)?[A-Z][a-z]+)+/g],
];

export const ASKED: Record<SpanType, string> = { money: 'How much', percent: 'What percentage', date: 'On what date', year: 'In what year', number: 'How many', name: 'Who or what' };

export interface Span { type: SpanType; start: number; end: number; text: string }

/** The typed spans of a text, left to right, none overlapping (precedence as PATTERNS). */
export function typedSpans(text: string): Span[] {
  const taken: Span[] = [];
  for (const [type, re] of PATTERNS) {
    for (const m of text.matchAll(re)) {
      const start = m.index!, end = start + m[0].length;
      if (!taken.some((s) => start < s.end && s.start < end)) taken.push({ type, start, end, text: m[0] });
    }
  }
  return taken.sort((a, b) => a.start - b.start);
}

export interface SquadParagraph { context: string; qas: { id: string; question: string; answers: { text: string; answer_start: number }[] }[] }

/** SQuAD v1.1 paragraphs from the addresses: contexts of `sentences` sentences, at most `perContext` questions each. */
export function sotuQuestions(addresses: { year: number; text: string }[], o: { sentences?: number; perContext?: number } = {}): SquadParagraph[] {
  const n = o.sentences ?? 5, per = o.perContext ?? 4;
  const out: SquadParagraph[] = [];
  for (const a of addresses) {
    const sents = splitSentences(a.text);
    for (let i = 0; i + n <= sents.length; i += n) {
      const parts = sents.slice(i, i + n);
      const context = parts.join(' ');
      const starts = parts.map((_, k) => parts.slice(0, k).reduce((s, p) => s + p.length + 1, 0));
      const spans = typedSpans(context);
      // spread the questions over the context's spans, every type in its turn
      const picked = spans.filter((_, k) => k % Math.max(1, Math.ceil(spans.length / per)) === 0).slice(0, per);
      const qas = picked.map((s, k) => {
        let si = 0;
        while (si + 1 < starts.length && starts[si + 1] <= s.start) si++;
        const sentence = parts[si], at = s.start - starts[si];
        const cloze = sentence.slice(0, at) + '___' + sentence.slice(at + s.text.length);
        // answer_start counts code points, as SQuAD's (Python's str)
        return { id: `sotu-${a.year}-${i}-${k}`, question: `${ASKED[s.type]}: ${cloze}`, answers: [{ text: s.text, answer_start: [...context.slice(0, s.start)].length }] };
      }).filter((q) => q.question.length < 400);
      if (qas.length) out.push({ context, qas });
    }
  }
  return out;
}

/** The question's asked type, from the word before the colon. */
export function askedType(question: string): SpanType | undefined {
  const head = question.slice(0, question.indexOf(':'));
  return (Object.keys(ASKED) as SpanType[]).find((t) => ASKED[t] === head);
}

/** The classical reference: the first span of the asked type in the context ('' when there is none). */
export function firstOfType(question: string, context: string): string {
  const t = askedType(question);
  return typedSpans(context).find((s) => s.type === t)?.text ?? '';
}
