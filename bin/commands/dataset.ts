// bert-cli dataset: writes a bundled real data set in the format the other commands read.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Argument } from 'commander';
import { writeFileAtomic } from '../../lib/io/atomic.js';
import { sotuSplit, toPretrainingText } from '../../lib/data/sotu.js';
import { spamSplit, toTsv } from '../../lib/data/spam.js';

export function datasetCommand(): Command {
  return new Command('dataset')
    .description('write a bundled real data set as files the other commands read')
    .addArgument(new Argument('<name>', 'sotu: State of the Union addresses 1790–2021 (pretraining); spam: SpamAssassin e-mails (classification)').choices(['sotu', 'spam']))
    .requiredOption('--out <dir>', 'folder to write into')
    .option('--quiet', 'print nothing')
    .addHelpText('after', `
sotu writes train.txt (222 addresses) and heldout.txt (every 20th address, 11 of them, 5%) in BERT's
pretraining format: one sentence per line, a blank line between addresses.
spam writes train.tsv and test.tsv (text, label = spam|ham): each e-mail's Subject and decoded body
(MIME, quoted-printable, base64, HTML turned to text), split 80/20 by a hash of the message id.

Examples:
  $ bert-cli dataset sotu --out data/sotu
  $ bert-cli dataset spam --out data/spam
`)
    .action((name: string, opts: { out: string; quiet?: boolean }) => {
      mkdirSync(opts.out, { recursive: true });
      if (name === 'spam') {
        const { train, test } = spamSplit();
        writeFileAtomic(join(opts.out, 'train.tsv'), [toTsv(train)]);
        writeFileAtomic(join(opts.out, 'test.tsv'), [toTsv(test)]);
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
