// bert-cli vocab: learn a WordPiece vocabulary from raw text.
import { outputTarget, writeOutputFile } from '../../lib/io/writer.js';
import { Command } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from '../options.js';
import { trainWordPiece, WordCounter } from '../../lib/tokenizer/trainer.js';

interface VocabOptions {
  size: number;
  output: string;
  lowercase: boolean;
  minFrequency: number;
  limitAlphabet: number;
  quiet?: boolean;
  json?: boolean;
}

export function vocabCommand(): Command {
  return new Command('vocab')
    .description('learn a WordPiece vocabulary (vocab.txt) of a given size from raw text')
    .argument('<files...>', "text files (.gz too; '-' for standard input)")
    .requiredOption('--size <n>', 'tokens in the vocabulary, special tokens included', parsePositiveInt)
    .requiredOption('-o, --output <file>', 'where to write vocab.txt')
    .option('--no-lowercase', 'keep case and accents (a cased vocabulary)')
    .option('--min-frequency <n>', 'merge only pairs seen at least N times', parseNonNegativeInt, 2)
    .option('--limit-alphabet <n>', 'keep at most the N most frequent characters', parsePositiveInt, 1000)
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'print nothing')
    .addHelpText('after', `
The vocabulary starts with [PAD] [UNK] [CLS] [SEP] [MASK], then every character, then "##" pieces
and merges, as HF's WordPiece trainer builds it. The same input gives the same file.

Examples:
  $ bert-cli vocab corpus.txt --size 8000 -o vocab.txt
  $ bert-cli vocab docs/*.txt.gz --size 30522 --no-lowercase -o cased-vocab.txt
`)
    .action(async (files: string[], opts: VocabOptions) => {
      outputTarget(opts.output); // a directory or a dangling link is refused before the work
      const t0 = Date.now();
      const counter = new WordCounter(opts.lowercase);
      await counter.addFiles(files);
      const vocab = trainWordPiece(counter.counts, {
        size: opts.size,
        lowercase: opts.lowercase,
        minFrequency: opts.minFrequency,
        limitAlphabet: opts.limitAlphabet,
      });
      writeOutputFile(opts.output, vocab.toText());
      const summary = {
        output: opts.output,
        tokens: vocab.size,
        distinctWords: counter.counts.size,
        lowercase: opts.lowercase,
        seconds: (Date.now() - t0) / 1000,
      };
      if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else if (!opts.quiet) {
        process.stderr.write(`learned ${vocab.size} tokens from ${counter.counts.size} distinct words in ${summary.seconds.toFixed(1)} s → ${opts.output}\n`);
      }
    });
}
