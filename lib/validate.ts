// The one set of rules for the values a user gives — a flag's text after the CLI reads it as a number,
// or a field of a library call (`finetune({ epochs: -1 })`) — so the library refuses what the CLI
// refuses, in the same words. bin/options.ts's parsers check their numbers with these; the library
// calls check their requests field by field, naming the flag (--batch-size) the field is.
import { UsageError } from './errors.js';

/** A decimal number's text (1, -0.5, 3e-5) as a number, else NaN: Number() would also take 0x10, 0b1 and ''. */
export function decimal(text: string): number {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(text) ? Number(text) : NaN;
}

/** A rule: the reason a value is refused ("expected a positive integer"), or null when it is fine. */
export type Rule = (v: unknown) => string | null;

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const RULES = {
  positiveInt: (v: unknown) => (num(v) && Number.isSafeInteger(v) && v >= 1 ? null : 'expected a positive integer'),
  nonNegativeInt: (v: unknown) => (num(v) && Number.isSafeInteger(v) && v >= 0 ? null : 'expected a non-negative integer'),
  number: (v: unknown) => (num(v) ? null : 'expected a number'),
  positiveNumber: (v: unknown) => (num(v) && v > 0 ? null : 'expected a number above 0'),
  nonNegativeNumber: (v: unknown) => (num(v) && v >= 0 ? null : 'expected a number at or above 0'),
  probability: (v: unknown) => (num(v) && v >= 0 && v <= 1 ? null : 'expected a number between 0 and 1'),
  dropout: (v: unknown) => (num(v) && v >= 0 && v < 1 ? null : 'expected a number in [0, 1)'),
  boolean: (v: unknown) => (typeof v === 'boolean' ? null : 'expected true or false'),
  string: (v: unknown) => (typeof v === 'string' && v !== '' ? null : 'expected a non-empty string'),
} satisfies Record<string, Rule>;

/** --batch-size for batchSize: the flag a library field is. */
export const flagOf = (field: string): string => '--' + field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Shows a refused value in a message: short, whatever it is. */
function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;
}

/**
 * Checks the fields of a library request that are set (undefined: the default) against their rules;
 * throws the usage error the CLI gives for the same value: "--epochs: expected a positive integer, got -1".
 */
export function validateRequest(r: object, rules: Record<string, Rule>): void {
  for (const [field, rule] of Object.entries(rules)) {
    const v = (r as Record<string, unknown>)[field];
    if (v === undefined) continue;
    const why = rule(v);
    if (why) throw new UsageError(`${flagOf(field)}: ${why}, got ${show(v)}`);
  }
}

const R = RULES;

/** finetune()'s fields, as `bert-cli finetune`'s flags check them. */
export const FINETUNE_RULES: Record<string, Rule> = {
  model: R.string, task: R.string, train: R.string, out: R.string, dev: R.string,
  epochs: R.positiveInt, lr: R.positiveNumber, batchSize: R.positiveInt, warmupRatio: R.probability, dropout: R.dropout,
  maxLength: R.positiveInt, weightDecay: R.nonNegativeNumber, maxGradNorm: R.nonNegativeNumber, gradAccum: R.positiveInt,
  seed: R.nonNegativeInt, evalEvery: R.positiveInt, earlyStopping: R.positiveInt, saveEvery: R.positiveInt, threads: R.positiveInt,
  shuffle: R.boolean, resume: R.boolean, overwrite: R.boolean, skipBad: R.boolean, skipNonfinite: R.boolean, labelAllTokens: R.boolean,
};

/** pretrain()'s fields, as `bert-cli pretrain`'s flags check them. */
export const PRETRAIN_RULES: Record<string, Rule> = {
  out: R.string, vocab: R.string, init: R.string,
  vocabSize: R.positiveInt, steps: R.positiveInt, batchSize: R.positiveInt, maxLength: R.positiveInt, lr: R.positiveNumber,
  warmup: R.nonNegativeInt, warmupRatio: R.probability, dropout: R.dropout, shortLength: R.positiveInt, shortRatio: R.probability,
  maskProb: R.probability, maxPredictions: R.positiveInt, dupeFactor: R.nonNegativeInt, saveEvery: R.positiveInt, seed: R.nonNegativeInt,
  threads: R.positiveInt, lowercase: R.boolean, nsp: R.boolean, wholeWordMask: R.boolean, resume: R.boolean, overwrite: R.boolean,
};

/** The options of predict/evaluate/embed/fillMask. */
export const INFERENCE_RULES: Record<string, Rule> = {
  batchSize: R.positiveInt, maxLength: R.positiveInt, topK: R.positiveInt,
};
