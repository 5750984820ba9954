// bert-cli embed: text embeddings as JSON Lines.
import { DEFAULT_MAX_LENGTH, DEFAULTS } from '../../lib/defaults.js';
import { Command, Option } from 'commander';
import { loadModel } from '../../lib/api/model.js';
import { readLines } from '../../lib/io/lines.js';
import { LineWriter } from '../../lib/io/writer.js';
import { exitOnStopSignal } from '../signals.js';
import { POOLINGS, type Pooling } from '../../lib/model/embed.js';
import { engineOptions, parsePositiveInt, textsOrFiles } from '../options.js';

interface Flags { model: string; dtype: 'fp32' | 'bf16' | 'int8'; pooling?: Pooling; normalize?: boolean; maxLength?: number; batchSize: number; output?: string; threads?: number }

export function embedCommand(): Command {
  return engineOptions(new Command('embed')
    .description('embed texts with a BERT encoder: one JSON line of vectors per input line')
    .argument('[inputs...]', "text lines ('-' or none: standard input); a TAB makes a text pair; or texts typed here, quoted")
    .requiredOption('--model <dir>', 'a model directory')
    .addOption(new Option('--pooling <kind>', "cls: last hidden state at [CLS]; pooler: the pooler output; mean, max: over the tokens; tokens: every token (default: a sentence-transformers directory's, else cls)").choices(POOLINGS))
    .option('--normalize', "scale each vector to unit length, cosine similarity becoming a dot product (default: as a sentence-transformers directory's modules.json says)")
    .option('--no-normalize', 'raw vectors, even where modules.json normalizes')
    .option('--max-length <n>', `tokens per text; longer ones are truncated (default: sentence_bert_config.json's max_seq_length, else ${DEFAULT_MAX_LENGTH})`, parsePositiveInt)
    .option('--batch-size <n>', 'texts per batch', parsePositiveInt, DEFAULTS.inferenceBatchSize)
    .option('-o, --output <file>', 'write here instead of standard output')
    .option('--json', 'JSON Lines on stdout (always the output; accepted so scripts can pass it to every command)'))
    .addHelpText('after', `
Output: {"embedding":[…]} per line, or with --pooling tokens {"tokens":[…],"embeddings":[[…],…]} for every
token including [CLS] and [SEP]. A sentence-transformers directory (modules.json, 1_Pooling/config.json,
a Normalize module) gives the pooling, the normalisation and the max length it was trained with.

Examples:
  $ bert-cli embed --model out/sotu-mini --pooling mean "the congress shall make no law"
  $ echo "the congress shall make no law" | bert-cli embed --model out/sotu-mini --pooling mean
`)
    .action(async (args: string[], f: Flags) => {
      const { texts, files } = textsOrFiles(args);
      const model = await loadModel(f.model, { dtype: f.dtype, threads: f.threads, onNotice: (l) => process.stderr.write(l + '\n') });
      const writer = new LineWriter(f.output ?? null);
      const undoStop = exitOnStopSignal(() => writer.abort());
      const round = (a: Float32Array) => Array.from(a, (x) => Math.round(x * 1e6) / 1e6);
      const o = { maxLength: f.maxLength, batchSize: f.batchSize, normalize: f.normalize };
      let pending: (string | [string, string])[] = [];
      const flush = async () => {
        if (f.pooling === 'tokens') for (const t of await model.embedTokens(pending, o)) await writer.write(JSON.stringify({ tokens: t.tokens, embeddings: t.embeddings.map(round) }));
        else for (const v of await model.embed(pending, { ...o, pooling: f.pooling })) await writer.write(JSON.stringify({ embedding: round(v) }));
        pending = [];
      };
      try {
        const lines = texts ? (async function* () { for (const text of texts) yield { text }; })() : readLines(files);
        for await (const line of lines) {
          const tab = line.text.indexOf('\t');
          pending.push(tab >= 0 ? [line.text.slice(0, tab), line.text.slice(tab + 1)] : line.text);
          if (pending.length === f.batchSize) await flush();
        }
        await flush();
        await writer.close();
      } catch (err) {
        writer.abort();
        throw err;
      } finally {
        undoStop();
      }
    });
}
