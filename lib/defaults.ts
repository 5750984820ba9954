// The one home of every default a user meets: the library reads these, and the CLI's flags take
// theirs from here (commander's defaults and --help text), so that a default changed here changes
// everywhere. Defaults that depend on a model's size live in train/finetune-defaults.ts; a task
// family's own (its tokens per example) on the family.

/** Tokens per example when neither a flag nor the model says (BERT's fine-tuning length). */
export const DEFAULT_MAX_LENGTH = 128;

/** The seed of initialisation, data order, masks and dropout. */
export const DEFAULT_SEED = 42;

/** Pretraining's fraction of the steps spent warming up, when --warmup does not say. */
export const DEFAULT_WARMUP_FRACTION = 0.01;
