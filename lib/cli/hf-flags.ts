// Flags that users type from HF's example scripts and Trainer (run_glue.py, run_mlm.py, run_qa.py),
// and ours for the same thing. An unknown one of these gets "did you mean" to ours instead of
// commander's spelling-distance guess, which cannot see that --learning-rate is --lr.
const HF_FLAGS: Record<string, string[]> = {
  'learning-rate': ['--lr'],
  'num-train-epochs': ['--epochs'],
  'output-dir': ['--out', '--output'],
  'max-seq-length': ['--max-length'],
  'per-device-train-batch-size': ['--batch-size'],
  'per-device-eval-batch-size': ['--batch-size'],
  'train-batch-size': ['--batch-size'],
  'model-name-or-path': ['--model', '--init'],
  'train-file': ['--train'],
  'validation-file': ['--dev', '--eval'],
  'test-file': ['--dev'],
  'warmup-steps': ['--warmup'],
  'max-steps': ['--steps'],
  'gradient-accumulation-steps': ['--grad-accum'],
  'max-grad-norm': ['--max-grad-norm'],
  'weight-decay': ['--weight-decay'],
  'warmup-ratio': ['--warmup-ratio'],
  'mlm-probability': ['--mask-prob'],
  'resume-from-checkpoint': ['--resume'],
  'overwrite-output-dir': ['--overwrite'],
  'tokenizer-name': ['--vocab', '--model'],
  'config-name': ['--config'],
  'seed': ['--seed'],
};

/**
 * Ours for an HF-style flag (`--learning_rate=3e-5`, `--num-train-epochs`), among the long flags
 * the command has; null when it is not one of them.
 */
export function ourFlagFor(flag: string, has: string[]): string | null {
  const m = /^--([A-Za-z_-]+)/.exec(flag);
  if (!m) return null;
  const key = m[1].toLowerCase().replace(/_/g, '-');
  return HF_FLAGS[key]?.find((f) => has.includes(f)) ?? null;
}
