// bert-cli fill-mask: the most likely words for [MASK] in a text.
import { DEFAULTS } from '../../lib/defaults.js';
import { Command } from 'commander';
import { loadModel } from '../../lib/api/model.js';
import { engineOptions, parsePositiveInt } from '../options.js';

export function fillMaskCommand(): Command {
  return engineOptions(new Command('fill-mask')
    .description('predict the words hidden behind [MASK] with a pretrained model\'s MLM head')
    .argument('<text>', 'a text with one or more [MASK]')
    .requiredOption('--model <dir>', 'a model directory with an MLM head (from bert-cli pretrain, or HF)')
    .option('--top-k <n>', 'candidates per [MASK]', parsePositiveInt, DEFAULTS.topK))
    .option('--json', 'print JSON (score, token, token_str, sequence per candidate)')
    .addHelpText('after', `
Example:
  $ bert-cli fill-mask --model out/sotu-mini "the congress of the united [MASK]"
`)
    .action(async (text: string, f: { model: string; dtype: 'fp32' | 'bf16' | 'int8'; topK: number; threads?: number; json?: boolean }) => {
      const model = await loadModel(f.model, { dtype: f.dtype, threads: f.threads, onNotice: (l) => process.stderr.write(l + '\n') });
      const result = await model.fillMask(text, { topK: f.topK });
      if (f.json) {
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
