// Splits prose into sentences for BERT's pretraining format (one sentence per line): after . ! or ?
// (and closing quotes or brackets) followed by whitespace and an upper-case letter, a digit or an
// opening quote — but not after common abbreviations (Mr., Dr., U.S., Jan., …) or initials.
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'st', 'jr', 'sr', 'gen', 'gov', 'sen', 'rep', 'hon', 'rev', 'prof', 'capt', 'col', 'lt', 'sgt',
  'no', 'nos', 'vs', 'etc', 'inc', 'co', 'corp', 'ltd', 'dept', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept',
  'oct', 'nov', 'dec', 'u.s', 'u.k', 'e.g', 'i.e', 'ft', 'mt', 'messrs', 'art', 'sec', 'vol', 'p', 'pp',
]);

export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const re = /([.!?]["'”’)\]]*)\s+(?=["'“‘(]?[A-Z0-9])/g;
  let start = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const end = m.index + m[1].length;
    const before = text.slice(start, m.index);
    const lastWord = (before.match(/([A-Za-z.]+)$/)?.[1] ?? '').toLowerCase();
    if (m[1].startsWith('.') && (ABBREVIATIONS.has(lastWord) || /^[a-z]$/.test(lastWord))) continue;
    const s = text.slice(start, end).trim();
    if (s) out.push(s);
    start = re.lastIndex;
  }
  const tail = text.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}

/** BERT's pretraining format: each document's sentences one per line, a blank line between documents. */
export function pretrainingText(documents: string[]): string {
  return documents.map((d) => splitSentences(d).join('\n')).filter(Boolean).join('\n\n') + '\n';
}
