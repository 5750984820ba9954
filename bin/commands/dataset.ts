// bert-cli dataset: writes a bundled real data set in the format the other commands read.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Argument } from 'commander';
import { writeFileAtomic } from '../../lib/io/atomic.js';
import { sotuSplit, toPretrainingText } from '../../lib/data/sotu.js';

export function datasetCommand(): Command {
  return new Command('dataset')
    .description('write a bundled real data set as files the other commands read')
    .addArgument(new Argument('<name>', 'sotu: the State of the Union addresses 1790–2021, for pretraining').choices(['sotu']))
    .requiredOption('--out <dir>', 'folder to write into')
    .option('--quiet', 'print nothing')
    .addHelpText('after', `
sotu writes train.txt (222 addresses) and heldout.txt (every 20th address, 11 of them, 5%) in BERT's
pretraining format: one sentence per line, a blank line between addresses.

Example:
  $ bert-cli dataset sotu --out data/sotu
`)
    .action((name: string, opts: { out: string; quiet?: boolean }) => {
      mkdirSync(opts.out, { recursive: true });
      const { train, heldOut } = sotuSplit();
      writeFileAtomic(join(opts.out, 'train.txt'), [toPretrainingText(train)]);
      writeFileAtomic(join(opts.out, 'heldout.txt'), [toPretrainingText(heldOut)]);
      if (!opts.quiet) {
        process.stderr.write(`${name}: ${train.length} addresses → ${join(opts.out, 'train.txt')}, ${heldOut.length} held out → ${join(opts.out, 'heldout.txt')}\n`);
      }
    });
}
