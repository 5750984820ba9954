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
  /** a tagger given raw text: entities merged as HF's token-classification pipeline's
   *  aggregation_strategy (HF's own default is none, one entity per token; simple is the first that
   *  merges pieces and B-/I- tags into entities), and long texts read in windows sharing this many tokens */
  tag: { aggregation: 'simple' as const, stride: 32 },
  /** bert-cli serve (text-embeddings-inference's defaults where TEI has the setting) */
  serve: {
    host: '127.0.0.1',
    port: 8080,
    /** padded tokens in one forward pass: TEI's 16384 is a GPU's; on two CPU cores base takes ~1 s for 2048 */
    maxBatchTokens: 2048,
    maxConcurrentRequests: 512,
    maxClientBatchSize: 32,
    /** bytes of a request body */
    maxBody: 2 * 1024 * 1024,
    /** seconds SIGTERM waits for in-flight requests */
    drainTimeout: 30,
  },
  /** question answering's windows and answers (run_qa.py's), at 384 tokens and more */
  qa: { maxLength: 384, docStride: 128, maxQueryLength: 64, maxAnswerLength: 30, nBest: 20, nullThreshold: 0 },
} as const;
