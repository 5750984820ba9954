// bert-cli dataset: writes a bundled real data set in the format the other commands read.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Argument } from 'commander';
import { writeFileAtomic } from '../../lib/io/atomic.js';
import { sotuSplit, toPretrainingText } from '../../lib/data/sotu.js';
import { spamSplit, toTsv } from '../../lib/data/spam.js';
import { brownPretrainingText, brownSplit, toConll } from '../../lib/data/brown.js';
import { pretrainingText } from '../../lib/data/sentences.js';
import { requireCorpora, type CorpusName } from '../../lib/data/corpora.js';

export function datasetCommand(): Command {
  return new Command('dataset')
    .description('write a bundled real data set as files the other commands read')
    .addArgument(new Argument('<name>', 'sotu: State of the Union addresses (pretraining); spam: SpamAssassin e-mails (classify); brown: Brown corpus POS (tag)').choices(['sotu', 'spam', 'brown']))
    .requiredOption('--out <dir>', 'folder to write into')
    .option('--quiet', 'print nothing')
    .addHelpText('after', `
sotu writes train.txt (222 addresses) and heldout.txt (every 20th address, 11 of them, 5%) in BERT's
pretraining format: one sentence per line, a blank line between addresses.
spam writes train.tsv and test.tsv (text, label = spam|ham): each e-mail's Subject and decoded body
(MIME, quoted-printable, base64, HTML turned to text), split 80/20 by a hash of the message id; and
train.txt, the training e-mails' text in the pretraining format (one e-mail a document), to pretrain on.
brown writes train.conll and test.conll: the Brown corpus's sentences with its tags mapped to the 12
universal part-of-speech tags, split 80/20 by text (every fifth of the 500 texts is test); and train.txt,
the training texts' sentences in the pretraining format (one Brown text a document).

Examples:
  $ bert-cli dataset sotu --out data/sotu
  $ bert-cli dataset spam --out data/spam
  $ bert-cli dataset brown --out data/brown
`)
    .action((name: string, opts: { out: string; quiet?: boolean }) => {
      requireCorpora([name as CorpusName]);
      mkdirSync(opts.out, { recursive: true });
      if (name === 'brown') {
        const { train, test } = brownSplit();
        writeFileAtomic(join(opts.out, 'train.conll'), [toConll(train)]);
        writeFileAtomic(join(opts.out, 'test.conll'), [toConll(test)]);
        writeFileAtomic(join(opts.out, 'train.txt'), [brownPretrainingText(train)]);
        if (!opts.quiet) process.stderr.write(`brown: ${train.length} sentences → ${join(opts.out, 'train.conll')}, ${test.length} → ${join(opts.out, 'test.conll')}\n`);
        return;
      }
      if (name === 'spam') {
        const { train, test } = spamSplit();
        writeFileAtomic(join(opts.out, 'train.tsv'), [toTsv(train)]);
        writeFileAtomic(join(opts.out, 'test.tsv'), [toTsv(test)]);
        writeFileAtomic(join(opts.out, 'train.txt'), [pretrainingText(train.map((x) => x.text))]);
        const spam = (xs: typeof train) => xs.filter((x) => x.label === 'spam').length;
        if (!opts.quiet) process.stderr.write(`spam: ${train.length} e-mails (${spam(train)} spam) → ${join(opts.out, 'train.tsv')}, ${test.length} (${spam(test)} spam) → ${join(opts.out, 'test.tsv')}\n`);
        return;
      }
      const { train, heldOut } = sotuSplit();
      writeFileAtomic(join(opts.out, 'train.txt'), [toPretrainingText(train)]);
      writeFileAtomic(join(opts.out, 'heldout.txt'), [toPretrainingText(heldOut)]);
      if (!opts.quiet) {
        process.stderr.write(`${name}: ${train.length} addresses → ${join(opts.out, 'train.txt')}, ${heldOut.length} held out → ${join(opts.out, 'heldout.txt')}\n`);
      }
    });
}
