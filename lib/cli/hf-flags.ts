// Flags and values that users type from HF's example scripts and Trainer (run_glue.py, run_mlm.py,
// run_qa.py, TrainingArguments, pipeline task names), and ours for the same thing. An unknown one of
// these gets "did you mean" to ours instead of commander's spelling-distance guess, which cannot see
// that --learning-rate is --lr; a Trainer setting bert-cli always applies says so.

/** Ours for each HF flag (the first the command has), or a sentence for a habit with no flag here. */
const HF_FLAGS: Record<string, string[] | { say: string }> = {
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
  'do-eval': ['--dev', '--eval'],
  'warmup-steps': ['--warmup', '--warmup-ratio'],
  'max-steps': ['--steps', '--epochs'],
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
  'eval-steps': ['--eval-every'],
  'save-steps': ['--save-every'],
  'early-stopping-patience': ['--early-stopping'],
  'lr-scheduler-type': ['--scheduler'],
  'bf16': ['--dtype'],
  'fp16': { say: 'fp16 is not supported on CPUs; --dtype bf16 is mixed precision where the CPU has AVX512_BF16 (else fp32, said)' },
  'do-train': { say: 'finetune and pretrain always train; leave it out' },
  'do-predict': { say: 'prediction is its own command: bert-cli predict --model OUT FILE' },
  'evaluation-strategy': { say: 'always on: --dev is evaluated after each epoch (and every --eval-every N steps), and the best model is kept in --out' },
  'eval-strategy': { say: 'always on: --dev is evaluated after each epoch (and every --eval-every N steps), and the best model is kept in --out' },
  'save-strategy': { say: 'always on: the best model by --dev is kept in --out, the latest state in --out/last (--save-every N steps, else every 5 minutes of work)' },
  'load-best-model-at-end': { say: 'always on: the best model by --dev is what --out holds at the end' },
  'metric-for-best-model': { say: "always on: the family's metric chooses the best model (accuracy, micro F1, Pearson, entity F1, F1)" },
};

/** What to say of an HF-style flag (`--learning_rate=3e-5`, `--num-train-epochs`) among the long flags the command has; null when it is not one of them. */
export function hfFlagHintFor(flag: string, has: string[]): string | null {
  const m = /^--([A-Za-z0-9_-]+)/.exec(flag);
  if (!m) return null;
  const key = m[1].toLowerCase().replace(/_/g, '-');
  const entry = HF_FLAGS[key];
  if (!entry) return null;
  if (!Array.isArray(entry)) return entry.say;
  const ours = entry.find((f) => has.includes(f));
  if (!ours) return null;
  if (key === 'bf16') return 'did you mean --dtype bf16?';
  if (key === 'max-steps' && ours === '--epochs') return 'did you mean --epochs? (fine-tuning counts epochs, not steps)';
  if (key === 'warmup-steps' && ours === '--warmup-ratio') return 'did you mean --warmup-ratio? (fine-tuning warms up for a fraction of its steps)';
  if (key === 'do-eval') return `did you mean ${ours} FILE? (a dev file turns evaluation on)`;
  return `did you mean ${ours}?`;
}

/** Ours for an HF-style flag, among the long flags the command has; null when it is not one of them. */
export function ourFlagFor(flag: string, has: string[]): string | null {
  const hint = hfFlagHintFor(flag, has);
  return hint?.match(/^did you mean (--[a-z-]+)/)?.[1] ?? null;
}

/** HF pipeline task names, and the family bert-cli calls each. */
export const HF_TASKS: Record<string, string> = {
  'ner': 'tag', 'token-classification': 'tag', 'pos': 'tag',
  'text-classification': 'classify', 'sentiment-analysis': 'classify', 'sequence-classification': 'classify',
  'question-answering': 'qa', 'squad': 'qa', 'multiple-choice': 'choice', 'swag': 'choice',
  'sentence-similarity': 'similarity', 'sts': 'similarity', 'text-pair-classification': 'pair', 'nli': 'pair', 'mrpc': 'pair',
  'multi-label-classification': 'multilabel', 'text-regression': 'regression',
};
