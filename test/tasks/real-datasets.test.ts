// The real-data sets the README's tables are measured on: extractive questions over the speeches
// (every answer where its offset says, the blank where the answer was, no context in train and test
// both) and next-sentence pairs (a "next" B follows A in its document; a "random" B comes from another
// document), with the classical references they are compared with.
import { describe, it, expect } from 'vitest';
import { mobySplit } from '../../lib/data/moby.js';
import { nextSentencePairs } from '../../lib/data/nsp-pairs.js';
import { splitSentences } from '../../lib/data/sentences.js';
import { sotuSplit } from '../../lib/data/sotu.js';
import { askedType, firstOfType, sotuQuestions, typedSpans } from '../../lib/data/sotu-qa.js';
import { overlapRegression } from '../../lib/tasks/baseline.js';

describe('questions over the speeches', () => {
  it('finds typed spans without overlaps, by precedence', () => {
    const s = typedSpans('On March 4, 1861, Congress spent $5 million, 12 percent of 40,000 dollars, said President Abraham Lincoln.');
    expect(s.map((x) => [x.type, x.text])).toEqual([
      ['date', 'March 4, 1861'], ['money', '$5 million'], ['percent', '12 percent'], ['number', '40,000'], ['name', 'President Abraham Lincoln'],
    ]);
  });

  it('every answer is at its offset (code points), its question is the sentence with a blank where it was, and train and test share no context', () => {
    const { train, heldOut } = sotuSplit();
    const tr = sotuQuestions(train.slice(0, 40)), te = sotuQuestions(heldOut);
    let n = 0;
    for (const p of [...tr, ...te]) {
      const cps = [...p.context];
      for (const q of p.qas) {
        const a = q.answers[0];
        expect(cps.slice(a.answer_start, a.answer_start + [...a.text].length).join('')).toBe(a.text);
        const cloze = q.question.slice(q.question.indexOf(': ') + 2);
        expect(cloze).toContain('___');
        expect(p.context).toContain(cloze.replace('___', a.text));
        const at = [...p.context].slice(0, a.answer_start).join('').length;
        expect(typedSpans(p.context).find((x) => x.start === at)?.type).toBe(askedType(q.question));
        n++;
      }
    }
    expect(n).toBeGreaterThan(900);
    const trainContexts = new Set(sotuQuestions(train).map((p) => p.context));
    expect(te.filter((p) => trainContexts.has(p.context))).toEqual([]);
  });

  it('the first-span reference answers the first span of the asked type', () => {
    const ctx = 'In 1990 we spent $2 billion. In 1991 we spent $3 billion.';
    expect(firstOfType('How much: In 1991 we spent ___.', ctx)).toBe('$2 billion');
    expect(firstOfType('In what year: ___ we spent $3 billion.', ctx)).toBe('1990');
  });
});

describe('next-sentence pairs', () => {
  it('a next B follows A in its document, a random B is from another, about half each; word overlap scores above chance', () => {
    const docs = mobySplit().train.map((s) => s.text);
    const pairs = nextSentencePairs(docs, 2000, 7);
    expect(pairs).toHaveLength(2000);
    const sents = docs.map((d) => splitSentences(d));
    const follows = (a: string, b: string) => sents.some((s) => s.some((x, i) => x === a && s[i + 1] === b));
    const next = pairs.filter((p) => p.label === 'next');
    expect(Math.abs(next.length / pairs.length - 0.5)).toBeLessThan(0.05);
    expect(next.every((p) => follows(p.a, p.b))).toBe(true);
    const random = pairs.filter((p) => p.label === 'random');
    expect(random.filter((p) => sents.findIndex((s) => s.includes(p.a)) === sents.findIndex((s) => s.includes(p.b))).length).toBeLessThan(random.length * 0.02);
    const lr = overlapRegression(pairs.slice(0, 1500).map((p) => ({ a: p.a, b: p.b, label: p.label === 'random' ? 1 : 0 })));
    const test = pairs.slice(1500);
    expect(test.filter((p) => lr(p.a, p.b) === (p.label === 'random' ? 1 : 0)).length / test.length).toBeGreaterThan(0.55);
  });
});
