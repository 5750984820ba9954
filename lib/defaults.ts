// The one home of every default a user meets. The library reads these; the CLI's flags take theirs
// from here (commander's default values, which --help prints), so a default changed here changes
// everywhere, and test/cli/defaults.test.ts holds the two together. Defaults that depend on a
// model's size live in train/finetune-defaults.ts (a table), a task family's tokens per example on
// the family (tasks/*.ts), both capped by the model's positions.

/** Tokens per example when neither a flag nor the model says (BERT's fine-tuning length). */
export const DEFAULT_MAX_LENGTH = 128;

/** The seed of initialisation, data order, masks and dropout. */
export const DEFAULT_SEED = 42;

/** Pretraining's fraction of the steps spent warming up, when --warmup does not say. */
export const DEFAULT_WARMUP_FRACTION = 0.01;

export const DEFAULTS = {
  seed: DEFAULT_SEED,
  /** predict, eval, embed: examples per forward pass */
  inferenceBatchSize: 32,
  /** fill-mask: candidates per [MASK] */
  topK: 5,
  pretrain: {
    config: 'mini',
    steps: 10_000,
    batchSize: 32,
    maxLength: DEFAULT_MAX_LENGTH,
    /** measured for small models; BERT-base used 1e-4 */
    lr: 5e-4,
    warmupRatio: DEFAULT_WARMUP_FRACTION,
    /** BERT's length schedule: this fraction of the steps at half the length */
    shortRatio: 0.9,
    /** create_pretraining_data's short_seq_prob */
    shortSeqProb: 0.1,
    maskProb: 0.15,
    maxPredictions: 20,
    dupeFactor: 0,
    saveEvery: 1000,
    /** held-out batches evaluated */
    evalBatches: 50,
    dtype: 'auto' as const,
  },
  finetune: {
    weightDecay: 0.01,
    maxGradNorm: 1.0,
    gradAccum: 1,
    scheduler: 'linear' as const,
    dtype: 'fp32' as const,
    /** seconds of work between saves of the resumable last/ when --save-every does not say */
    saveEverySeconds: 300,
  },
  /** question answering's windows and answers (run_qa.py's), at 384 tokens and more */
  qa: { maxLength: 384, docStride: 128, maxQueryLength: 64, maxAnswerLength: 30, nBest: 20, nullThreshold: 0 },
} as const;
