// bert-cli predict: a fine-tuned model's predictions for texts, as JSON Lines in input order.
import { Command } from 'commander';
import { BertError } from '../../lib/errors.js';
import { setDtype, setThreads } from '../../lib/engine.js';
import { parseDtype, parseNumber, parsePositiveInt } from '../../lib/cli/options.js';
import { plural, Progress } from '../../lib/cli/progress.js';
import { loadModelDir, modelDirConfig, requireTaskHead } from '../../lib/io/model-dir.js';
import { LineWriter } from '../../lib/io/writer.js';
import { MAX_LINE_CHARS } from '../../lib/io/lines.js';
import { labelsOf } from '../../lib/config.js';
import { assertMemoryFits } from '../../lib/model/memory.js';
import { streamInputs, streamTaggedInputs } from '../../lib/tasks/inputs.js';
import { architectureOfTask, defaultColumns, encodeExamples, maxLengthOfConfig, predictionOf, taskOfConfig } from '../../lib/tasks/sequence.js';
import { encodeTagged } from '../../lib/tasks/tagging.js';
import { predictChoices, predictTags, qaLogits, sequenceLogits } from '../../lib/tasks/adapters.js';
import { encodeChoices } from '../../lib/tasks/choice.js';
import { streamRecords } from '../../lib/tasks/records.js';
import { encodeQa, postprocessQa, qaSettingsOf, readQa } from '../../lib/tasks/qa.js';

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict with a fine-tuned model: JSON Lines, one per input, in input order')
    .argument('[files...]', ".tsv/.csv/.jsonl (label column ignored), CoNLL for tag models, or text lines ('-' or none: standard input; TAB separates a pair)")
    .requiredOption('--model <dir>', 'a fine-tuned model directory')
    .option('-o, --output <file>', 'write here instead of standard output')
    .option('--batch-size <n>', 'texts per batch (sorted by length, padded to the longest)', parsePositiveInt, 32)
    .option('--max-length <n>', 'tokens per text; longer ones are truncated (default: the length the model was fine-tuned with, else 128)', parsePositiveInt)
    .option('--top-k <n>', 'only the N most likely labels in "scores"', parsePositiveInt)
    .option('--text-column <name>', 'the text column of .tsv/.csv/.jsonl input')
    .option('--text-pair-column <name>', 'the second text column for pair models')
    .option('--doc-stride <n>', 'qa: context tokens shared by consecutive windows (default: as fine-tuned, else 128)', parsePositiveInt)
    .option('--max-answer-length <n>', 'qa: longest answer in tokens', parsePositiveInt, 30)
    .option('--n-best <n>', 'qa: start and end candidates per window', parsePositiveInt, 20)
    .option('--null-threshold <x>', 'qa (SQuAD v2 models): answer nothing when "no answer" beats the best span by more than this', parseNumber, 0)
    .option('--threads <n>', 'threads the kernels use', parsePositiveInt)
    .option('--dtype <type>', 'fp32, or bf16: bfloat16 linear layers with float32 sums (needs AVX512_BF16; else fp32 with a notice)', parseDtype, 'fp32')
    .option('--quiet', 'no progress')
    .addHelpText('after', `
Output per task: classify/pair {"label","score","scores":{label: prob},"logits":[…]}; regression {"score"};
multilabel {"labels":[…],"scores":{…}}; tag {"words":[…],"tags":[…]} (input: one sentence a line, or CoNLL);
choice {"choice","scores":[…]} (input: .tsv/.csv/.jsonl with sent1, sent2, ending0…);
qa {"id","answer","score","start","end"} (input: SQuAD JSON, or JSON Lines {"id","question","context"}; start/end are
character offsets in the context, end exclusive; an empty answer is "no answer" for SQuAD v2 models).

Examples:
  $ echo "Congratulations, you won a FREE prize" | bert-cli predict --model out/spam
  $ bert-cli predict --model out/spam data/spam/test.tsv -o predictions.jsonl
  $ echo '{"question":"Who wrote it?","context":"It was written by Ada."}' | bert-cli predict --model out/squad
`)
    .action(async (files: string[], opts: { model: string; dtype: 'fp32' | 'bf16'; output?: string; batchSize: number; maxLength?: number; topK?: number; textColumn?: string; textPairColumn?: string; threads?: number; quiet?: boolean; docStride?: number; maxAnswerLength: number; nBest: number; nullThreshold: number }) => {
      setThreads(opts.threads);
      const task = taskOfConfig(modelDirConfig(opts.model));
      const loaded = loadModelDir(opts.model, { arch: architectureOfTask(task) });
      requireTaskHead(loaded, task, opts.model);
      const dtype = setDtype(loaded.model, opts.dtype);
      const labels = labelsOf(loaded.cfg);
      const maxLength = maxLengthOfConfig(loaded.cfg, opts.maxLength);
      assertMemoryFits(loaded.cfg, opts.batchSize, maxLength, { training: false, bf16: dtype === 'bf16', what: 'prediction' });
      const cols = defaultColumns(task === 'tag' || task === 'choice' || task === 'qa' ? 'classify' : task);
      if (opts.textColumn) cols.text = opts.textColumn;
      if (opts.textPairColumn) cols.pair = opts.textPairColumn;
      const progress = new Progress({ quiet: opts.quiet });
      const writer = new LineWriter(opts.output ?? null);
      const t0 = Date.now();
      let n = 0, cut = 0;
      const onCut = () => cut++;
      try {
        if (task === 'tag') {
          for await (const sents of streamTaggedInputs(files, 4096, { onCut })) {
            const { examples } = encodeTagged(sents, loaded.tokenizer, null, maxLength);
            const tags = predictTags(loaded.model, examples, labels, opts.batchSize, loaded.tokenizer.vocab.special('[PAD]'));
            for (let i = 0; i < sents.length; i++) await writer.write(JSON.stringify({ words: sents[i].words, tags: tags[i] }));
            n += sents.length;
            progress.update(`tagged ${plural(n, 'sentence')}`);
          }
        }
        if (task === 'qa') {
          const s = qaSettingsOf(loaded.cfg, maxLength, opts);
          for (const f of files.length ? files : ['-']) {
            const { records } = readQa(f);
            const { features } = encodeQa(records, loaded.tokenizer, s);
            const preds = postprocessQa(records, features, qaLogits(loaded.model, features, opts.batchSize, loaded.tokenizer.vocab.special('[PAD]')), s);
            for (const p of preds) await writer.write(JSON.stringify(p));
            n += preds.length;
            progress.update(`answered ${plural(n, 'question')}`);
          }
        }
        if (task === 'choice') {
          if (!files.length) throw new BertError('multiple-choice input is a .tsv/.csv/.jsonl file with sent1, sent2, ending0…', { where: 'FILE' });
          for (const f of files) {
            for await (const src of streamRecords(f, { size: 4096 })) {
              const { examples } = encodeChoices(src, loaded.tokenizer, maxLength, false);
              for (const p of predictChoices(loaded.model, examples, opts.batchSize, loaded.tokenizer.vocab.special('[PAD]'))) {
                await writer.write(JSON.stringify({ choice: p.indexOf(Math.max(...p)), scores: p }));
                n++;
              }
            }
          }
        }
        if (task !== 'tag' && task !== 'choice' && task !== 'qa') {
          // a chunk at a time from a stream: progress shows and memory stays flat on inputs of any size
          for await (const src of streamInputs(files, task, cols, 4096, { onCut })) {
            const { examples } = encodeExamples(src, loaded.tokenizer, task, cols, null, maxLength);
            const rate = (k: number) => `predicted ${plural(n + k, 'text')}, ${((n + k) / ((Date.now() - t0) / 1000)).toFixed(1)} texts/s`;
            const logits = sequenceLogits(loaded.model, examples, opts.batchSize, loaded.tokenizer.vocab.special('[PAD]'), (k) => progress.update(rate(k)));
            for (const l of logits) await writer.write(JSON.stringify(predictionOf(l, task, labels, opts.topK)));
            n += examples.length;
          }
        }
        await writer.close();
      } catch (err) {
        writer.abort();
        throw err;
      }
      if (cut) progress.log(`${plural(cut, 'line')} longer than ${MAX_LINE_CHARS} characters ${cut === 1 ? 'was' : 'were'} cut there while read (the model uses its first ${maxLength} tokens)`);
      progress.done(`predicted ${plural(n, 'text')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
}
