// Next-sentence pairs as a fine-tuning task (`finetune --task pair`): from each document, a sentence
// and the one after it (label next) or, half the time, a sentence of another document of the same
// corpus (label random) — NSP as a labelled data set, made from the speeches and Moby-Dick. Training
// pairs come from the training documents, test pairs from the held-out ones (sotuSplit, mobySplit).
import { splitSentences } from './sentences.js';
import { Random } from '../rng.js';

export interface Pair { a: string; b: string; label: 'next' | 'random' }

/** Up to `limit` pairs from the documents of one corpus, seeded; sentences shorter than 4 words are skipped. */
export function nextSentencePairs(documents: string[], limit: number, seed: number): Pair[] {
  const rng = new Random(seed);
  const long = (s: string) => s.split(/\s+/).length >= 4;
  const docs = documents.map((d) => splitSentences(d));
  const candidates: [number, number][] = [];
  docs.forEach((d, i) => { for (let j = 0; j + 1 < d.length; j++) if (long(d[j]) && long(d[j + 1])) candidates.push([i, j]); });
  rng.shuffle(candidates);
  return candidates.slice(0, limit).map(([i, j]) => {
    if (docs.length < 2 || rng.random() < 0.5) return { a: docs[i][j], b: docs[i][j + 1], label: 'next' };
    let o = i, b = '';
    while (o === i || !long(b)) {
      o = rng.randint(0, docs.length - 1);
      b = docs[o][rng.randint(0, docs[o].length - 1)];
    }
    return { a: docs[i][j], b, label: 'random' };
  });
}

export function pairsTsv(pairs: Pair[]): string {
  const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ');
  return 'text_a\ttext_b\tlabel\n' + pairs.map((p) => `${clean(p.a)}\t${clean(p.b)}\t${p.label}`).join('\n') + '\n';
}
