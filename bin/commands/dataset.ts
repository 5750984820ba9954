// bert-cli dataset: writes a bundled real data set in the format the other commands read.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Argument } from 'commander';
import { DATASET_FILES, DATASETS, writeDataset, type DatasetName } from '../../lib/data/datasets.js';

export function datasetCommand(): Command {
  return new Command('dataset')
    .description('write a bundled real data set as files the other commands read')
    .addArgument(new Argument('<name>', 'sotu: State of the Union addresses and moby: Moby-Dick (pretraining); spam: SpamAssassin e-mails (classify); brown: Brown corpus POS (tag)').choices(DATASETS))
    .requiredOption('--out <dir>', 'folder to write into')
    .option('--quiet', 'print nothing')
    .option('--json', 'print what was written as one JSON object on stdout: {dataset, out, files: [{path, bytes}]}')
    .addHelpText('after', `
sotu writes train.txt (222 addresses) and heldout.txt (every 20th address, 11 of them, 5%) in BERT's
pretraining format: one sentence per line, a blank line between addresses.
moby writes train.txt and heldout.txt the same way from Moby-Dick's 138 sections (every 20th held out).
spam writes train.tsv and test.tsv (text, label = spam|ham): each e-mail's Subject and decoded body
(MIME, quoted-printable, base64, HTML turned to text), split 80/20 by a hash of the message id; and
train.txt, the training e-mails' text in the pretraining format (one e-mail a document), to pretrain
on, with heldout.txt, the test e-mails' text, to measure held-out MLM on (never to pretrain on).
brown writes train.conll and test.conll: the Brown corpus's sentences with its tags mapped to the 12
universal part-of-speech tags, split 80/20 by text (every fifth of the 500 texts is test); and train.txt,
the training texts' sentences in the pretraining format (one Brown text a document).

Examples:
  $ bert-cli dataset sotu --out data/sotu
  $ bert-cli dataset moby --out data/moby
  $ bert-cli dataset spam --out data/spam
  $ bert-cli dataset brown --out data/brown
`)
    .action((name: DatasetName, opts: { out: string; quiet?: boolean; json?: boolean }) => {
      const line = writeDataset(name, opts.out);
      if (!opts.quiet) process.stderr.write(line + '\n');
      if (opts.json) {
        const files = DATASET_FILES[name].map((f) => join(opts.out, f));
        process.stdout.write(JSON.stringify({ dataset: name, out: opts.out, files: files.map((p) => ({ path: p, bytes: statSync(p).size })) }) + '\n');
      }
    });
}
