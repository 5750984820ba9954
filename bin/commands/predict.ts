// bert-cli predict: a fine-tuned model's predictions for texts, as JSON Lines in input order.
import { DEFAULT_MAX_LENGTH, DEFAULTS } from '../../lib/defaults.js';
import { Command } from 'commander';
import { loadModel } from '../../lib/api/model.js';
import { MAX_LINE_CHARS } from '../../lib/io/lines.js';
import { LineWriter } from '../../lib/io/writer.js';
import { Eta, plural, Progress } from '../progress.js';
import { countInputs } from '../../lib/io/count.js';
import { exitOnStopSignal } from '../signals.js';
import { columnOptions, columnsOf, engineOptions, parseAggregation, parseNumber, parsePositiveInt, textsOrFiles } from '../options.js';
import { AGGREGATIONS, type Aggregation } from '../../lib/tasks/entities.js';

interface Flags { model: string; dtype: 'fp32' | 'bf16' | 'int8'; output?: string; batchSize: number; maxLength?: number; topK?: number; textColumn?: string; textPairColumn?: string; threads?: number; quiet?: boolean; docStride?: number; maxAnswerLength: number; nBest: number; nullThreshold: number; aggregationStrategy: Aggregation; stride?: number }

export function predictCommand(): Command {
  const c = new Command('predict')
    .description('predict with a fine-tuned model: JSON Lines, one per input, in input order')
    .argument('[inputs...]', ".tsv/.csv/.jsonl (label column ignored), CoNLL for tag models, or text lines ('-' or none: standard input; TAB separates a pair); or texts typed here, quoted")
    .requiredOption('--model <dir>', 'a fine-tuned model directory')
    .option('-o, --output <file>', 'write here instead of standard output')
    .option('--batch-size <n>', 'texts per batch (sorted by length, padded to the longest)', parsePositiveInt, DEFAULTS.inferenceBatchSize)
    .option('--max-length <n>', `tokens per text; longer ones are truncated (default: the length the model was fine-tuned with, else ${DEFAULT_MAX_LENGTH})`, parsePositiveInt)
    .option('--top-k <n>', 'only the N most likely labels in "scores"', parsePositiveInt);
  return engineOptions(columnOptions(c, { label: false })
    .option('--doc-stride <n>', `qa: context tokens shared by consecutive windows (default: as fine-tuned, else ${DEFAULTS.qa.docStride})`, parsePositiveInt)
    .option('--max-answer-length <n>', 'qa: longest answer in tokens', parsePositiveInt, DEFAULTS.qa.maxAnswerLength)
    .option('--n-best <n>', 'qa: start and end candidates per window', parsePositiveInt, DEFAULTS.qa.nBest)
    .option('--null-threshold <x>', 'qa (SQuAD v2 models): answer nothing when "no answer" beats the best span by more than this', parseNumber, DEFAULTS.qa.nullThreshold)
    .option('--aggregation-strategy <s>', `tag: how entities are merged from word pieces and B-/I- tags, as HF's pipeline: ${AGGREGATIONS.join(', ')}`, parseAggregation, DEFAULTS.tag.aggregation)
    .option('--stride <n>', `tag: tokens shared by consecutive windows of a text longer than --max-length (default ${DEFAULTS.tag.stride}, at most half a window)`, parsePositiveInt))
    .option('--quiet', 'no progress')
    .option('--json', 'JSON Lines on stdout (always the output; accepted so scripts can pass it to every command)')
    .addHelpText('after', `
Output per task: classify/pair {"label","score","scores":{label: prob},"logits":[…]}; regression {"score"};
multilabel {"labels":[…],"scores":{…}}; tag {"words":[…],"tags":[…],"entities":[{"entity_group","score","word","start","end"}]}
(input: a text a line, tagged whole in windows, entities' start/end index the line; or CoNLL: words and tags only);
choice {"choice","scores":[…]} (input: .tsv/.csv/.jsonl with sent1, sent2, ending0…);
qa {"id","answer","score","start","end"} (input: SQuAD JSON, or JSON Lines {"id","question","context"}; start/end are
character offsets in the context, end exclusive; an empty answer is "no answer" for SQuAD v2 models).

Examples:
  $ bert-cli predict --model out/spam "Congratulations, you won a FREE prize"
  $ echo "Congratulations, you won a FREE prize" | bert-cli predict --model out/spam
  $ bert-cli predict --model out/spam data/spam/test.tsv -o predictions.jsonl
  $ echo '{"question":"Who wrote it?","context":"It was written by Ada."}' | bert-cli predict --model out/squad
`)
    .action(async (args: string[], f: Flags) => {
      const { texts, files } = textsOrFiles(args);
      const progress = new Progress({ quiet: f.quiet });
      const model = await loadModel(f.model, { dtype: f.dtype, threads: f.threads, onNotice: (l) => process.stderr.write(l + '\n') });
      const writer = new LineWriter(f.output ?? null);
      const undoStop = exitOnStopSignal(() => writer.abort());
      const t0 = Date.now();
      let n = 0, cut = 0, truncated = 0;
      // a total from the files when their format tells it (lines, records, CoNLL sentences): then a
      // percentage and an ETA; standard input and SQuAD JSON have none
      const total = texts ? texts.length : f.quiet ? null : countInputs(files);
      const eta = total ? new Eta(total, 1) : null;
      const rate = (k: number) => {
        const done = n + k, seconds = (Date.now() - t0) / 1000, speed = `${(done / seconds).toFixed(1)} ${model.unit}s/s`;
        if (!total || done > total) return `predicted ${plural(done, model.unit)}, ${speed}`;
        return `predicted ${done}/${plural(total, model.unit)} (${((100 * done) / total).toFixed(1)}%), ${speed}, ${eta!.text(done, seconds)}`;
      };
      try {
        const o = {
          batchSize: f.batchSize, maxLength: f.maxLength, topK: f.topK, columns: columnsOf(f), onCut: () => cut++, onTruncated: (k: number) => (truncated += k), onBatch: (k: number) => progress.update(rate(k)),
          qa: { docStride: f.docStride, maxAnswerLength: f.maxAnswerLength, nBest: f.nBest, nullThreshold: f.nullThreshold },
          tag: { aggregation: f.aggregationStrategy, stride: f.stride },
        };
        // texts typed as arguments: a TAB makes a pair, as in a text file
        const typed = texts?.map((t) => (t.includes('\t') ? t.split('\t', 2) : t));
        const rows = typed ? (async function* () { yield (await model.predict(typed, o)) as unknown as Record<string, unknown>[]; })() : model.predictFiles(files, o);
        for await (const chunk of rows) {
          for (const row of chunk) await writer.write(JSON.stringify(row));
          n += chunk.length;
        }
        await writer.close();
      } catch (err) {
        writer.abort();
        throw err;
      } finally {
        undoStop();
      }
      if (cut) progress.log(`${plural(cut, 'line')} longer than ${MAX_LINE_CHARS} characters ${cut === 1 ? 'was' : 'were'} cut there while read (the model uses its first ${model.maxLength(f.maxLength)} tokens)`);
      progress.done(`predicted ${plural(n, model.unit)} in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
        (truncated ? `; ${truncated} longer than ${model.maxLength(f.maxLength)} tokens, cut there (--max-length)` : ''));
    });
}
