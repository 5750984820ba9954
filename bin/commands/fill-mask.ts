// bert-cli fill-mask: the most likely words for [MASK] in a text.
import { Command } from 'commander';
import { setDtype, setThreads } from '../../lib/engine.js';
import { parseDtype, parsePositiveInt } from '../../lib/cli/options.js';
import { BertError } from '../../lib/errors.js';
import { loadModelDir } from '../../lib/io/model-dir.js';
import { fillMask } from '../../lib/model/fill-mask.js';

export function fillMaskCommand(): Command {
  return new Command('fill-mask')
    .description('predict the words hidden behind [MASK] with a pretrained model\'s MLM head')
    .argument('<text>', 'a text with one or more [MASK]')
    .requiredOption('--model <dir>', 'a model directory with an MLM head (from bert-cli pretrain, or HF)')
    .option('--top-k <n>', 'candidates per [MASK]', parsePositiveInt, 5)
    .option('--threads <n>', 'threads the kernels use', parsePositiveInt)
    .option('--dtype <type>', 'fp32, or bf16: bfloat16 linear layers with float32 sums (needs AVX512_BF16; else fp32 with a notice)', parseDtype, 'fp32')
    .option('--json', 'print JSON (score, token, token_str, sequence per candidate)')
    .addHelpText('after', `
Example:
  $ bert-cli fill-mask --model out/sotu-mini "the congress of the united [MASK]"
`)
    .action((text: string, opts: { model: string; dtype: 'fp32' | 'bf16'; topK: number; threads?: number; json?: boolean }) => {
      setThreads(opts.threads);
      const loaded = loadModelDir(opts.model, { arch: 'BertForMaskedLM' });
      if (loaded.initialized.some((n) => n.startsWith('cls.predictions'))) {
        throw new BertError('the model has no MLM head (cls.predictions.*)', { where: opts.model, hint: 'use a pretrained model, not a fine-tuned classifier' });
      }
      if (!loaded.tokenizer) throw new BertError('model directory has no vocab.txt', { where: opts.model });
      setDtype(loaded.model, opts.dtype);
      const result = fillMask(loaded.model, loaded.tokenizer, text, opts.topK);
      if (opts.json) {
        process.stdout.write(JSON.stringify(result.length === 1 ? result[0] : result) + '\n');
        return;
      }
      const lines: string[] = [];
      result.forEach((cands, k) => {
        if (result.length > 1) lines.push(`[MASK] #${k + 1}`);
        for (const c of cands) lines.push(`${c.score.toFixed(3).padStart(6)}  ${c.token_str.padEnd(14)}  ${c.sequence}`);
      });
      process.stdout.write(lines.join('\n') + '\n');
    });
}
