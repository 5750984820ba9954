// bert-cli tokenize: text lines → JSON Lines of BERT input ids.
import { Command, Option } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { readLines } from '../../lib/io/lines.js';
import { LineWriter } from '../../lib/io/writer.js';
import { parsePositiveInt } from '../options.js';
import { TRUNCATION_STRATEGIES, type TruncationStrategy } from '../../lib/tokenizer/encoding.js';
import { tokenizeLines } from '../../lib/tokenizer/tokenize-lines.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { cpus } from 'node:os';

interface TokenizeOptions {
  vocab?: string;
  model?: string;
  pair?: boolean;
  maxLength?: number;
  truncation: TruncationStrategy;
  lowercase?: boolean;
  offsets?: boolean;
  output?: string;
  threads?: number;
}

/** The tokenizer a command asks for: --vocab FILE or --model DIR (exactly one), casing overridable. */
export function tokenizerFromOptions(opts: { vocab?: string; model?: string; lowercase?: boolean }): Tokenizer {
  if (!!opts.vocab === !!opts.model) throw new UsageError('give exactly one of --vocab FILE and --model DIR');
  return opts.vocab
    ? Tokenizer.fromVocabFile(opts.vocab, { lowercase: opts.lowercase })
    : Tokenizer.fromModelDir(opts.model!, { lowercase: opts.lowercase });
}

export function tokenizeCommand(): Command {
  return new Command('tokenize')
    .description('turn text lines into BERT inputs: one JSON object per line ([CLS] … [SEP] ids, type ids, mask)')
    .argument('[files...]', "text files, one text per line ('-' or none: standard input)")
    .option('--vocab <file>', 'a WordPiece vocab.txt')
    .option('--model <dir>', 'a model directory (vocab.txt + tokenizer_config.json)')
    .option('--pair', 'each line is TEXT_A<TAB>TEXT_B: a sentence pair with token type ids 0…0 1…1')
    .option('--max-length <n>', 'truncate to N tokens, [CLS] and [SEP] included', parsePositiveInt)
    .addOption(new Option('--truncation <strategy>', 'which text loses tokens when a pair is too long')
      .choices(TRUNCATION_STRATEGIES as unknown as string[]).default('longest_first'))
    .option('--lowercase', 'lowercase and strip accents (default: as the model or vocabulary says; uncased)')
    .option('--no-lowercase', 'keep case and accents (a cased vocabulary)')
    .option('--offsets', 'add "offsets": [start, end) of each token in the line, in UTF-16 units')
    .option('-o, --output <file>', 'write here instead of standard output')
    .option('--threads <n>', 'worker threads for large inputs (default: every core)', parsePositiveInt)
    .option('--json', 'JSON Lines on stdout (always the output; accepted so scripts can pass it to every command)')
    .addHelpText('after', `
Output (one line per input line, in order):
  {"tokens":["[CLS]","help",…,"[SEP]"],"input_ids":[101,2393,…,102],"token_type_ids":[0,…],"attention_mask":[1,…]}

Examples:
  $ echo "help prince mayuko transfer huge inheritance" | bert-cli tokenize --vocab vocab.txt
  $ printf 'my dog is cute\\the likes playing\\n' | bert-cli tokenize --model out/model --pair --offsets
  $ bert-cli tokenize corpus.txt --model out/model --max-length 128 -o tokens.jsonl
`)
    .action(async (files: string[], opts: TokenizeOptions) => {
      const tok = tokenizerFromOptions(opts);
      const writer = new LineWriter(opts.output ?? null);
      try {
        await tokenizeLines(tok, readLines(files), writer, {
          pair: !!opts.pair,
          offsets: !!opts.offsets,
          maxLength: opts.maxLength,
          truncation: opts.truncation,
          threads: opts.threads ?? cpus().length,
        });
        await writer.close();
      } catch (err) {
        writer.abort();
        throw err;
      }
    });
}
