// bert-cli embed: text embeddings as JSON Lines.
import { Command, Option } from 'commander';
import { BertError } from '../../lib/errors.js';
import { setDtype, setThreads } from '../../lib/engine.js';
import { parseDtype, parsePositiveInt } from '../../lib/cli/options.js';
import { readLines } from '../../lib/io/lines.js';
import { loadModelDir } from '../../lib/io/model-dir.js';
import { LineWriter } from '../../lib/io/writer.js';
import { embedBatch, POOLINGS, type Pooling } from '../../lib/model/embed.js';
import { collateExamples, type Example } from '../../lib/tasks/sequence.js';

export function embedCommand(): Command {
  return new Command('embed')
    .description('embed texts with a BERT encoder: one JSON line of vectors per input line')
    .argument('[files...]', "text lines ('-' or none: standard input); a TAB makes a text pair")
    .requiredOption('--model <dir>', 'a model directory')
    .addOption(new Option('--pooling <kind>', 'cls: last hidden state at [CLS]; pooler: the pooler output; mean: masked mean; tokens: every token').choices(POOLINGS as unknown as string[]).default('cls'))
    .option('--max-length <n>', 'tokens per text; longer ones are truncated', parsePositiveInt, 128)
    .option('--batch-size <n>', 'texts per batch', parsePositiveInt, 32)
    .option('-o, --output <file>', 'write here instead of standard output')
    .option('--threads <n>', 'threads the kernels use', parsePositiveInt)
    .option('--dtype <type>', 'fp32, or bf16: bfloat16 linear layers with float32 sums (needs AVX512_BF16; else fp32 with a notice)', parseDtype, 'fp32')
    .addHelpText('after', `
Output: {"embedding":[…]} per line, or with --pooling tokens {"tokens":[…],"embeddings":[[…],…]} for every
token including [CLS] and [SEP].

Example:
  $ echo "the congress shall make no law" | bert-cli embed --model out/sotu-mini --pooling mean
`)
    .action(async (files: string[], opts: { model: string; dtype: 'fp32' | 'bf16'; pooling: Pooling; maxLength: number; batchSize: number; output?: string; threads?: number }) => {
      setThreads(opts.threads);
      const loaded = loadModelDir(opts.model, { arch: 'BertModel' });
      if (!loaded.tokenizer) throw new BertError('model directory has no vocab.txt', { where: opts.model });
      if (opts.pooling === 'pooler' && loaded.initialized.some((n) => n.startsWith('bert.pooler.'))) throw new BertError('the model has no trained pooler', { where: opts.model, hint: 'use --pooling cls or mean' });
      setDtype(loaded.model, opts.dtype);
      const tok = loaded.tokenizer;
      const pad = tok.vocab.special('[PAD]');
      const writer = new LineWriter(opts.output ?? null);
      let pending: { ex: Example; tokens: string[] }[] = [];
      const flush = async () => {
        if (!pending.length) return;
        const vecs = embedBatch(loaded.model, collateExamples(pending.map((p) => p.ex), pad), opts.pooling);
        for (let i = 0; i < pending.length; i++) {
          const v = vecs[i];
          const round = (a: Float32Array) => Array.from(a, (x) => Math.round(x * 1e6) / 1e6);
          await writer.write(JSON.stringify(opts.pooling === 'tokens'
            ? { tokens: pending[i].tokens, embeddings: (v as Float32Array[]).map(round) }
            : { embedding: round(v as Float32Array) }));
        }
        pending = [];
      };
      try {
        for await (const line of readLines(files)) {
          const tab = line.text.indexOf('\t');
          const enc = tab >= 0 ? tok.encode(line.text.slice(0, tab), line.text.slice(tab + 1), { maxLength: opts.maxLength }) : tok.encode(line.text, null, { maxLength: opts.maxLength });
          pending.push({ ex: { ids: Int32Array.from(enc.ids), typeIds: Int32Array.from(enc.typeIds), label: null, index: 0 }, tokens: enc.tokens });
          if (pending.length === opts.batchSize) await flush();
        }
        await flush();
        await writer.close();
      } catch (err) {
        writer.abort();
        throw err;
      }
    });
}
