// Parsers for numeric flags: each throws commander's InvalidArgumentError, which the program
// reports as a usage error (exit code 2) naming the flag.
import { AGGREGATIONS, type Aggregation } from '../lib/tasks/entities.js';
import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../lib/errors.js';
import { decimal, RULES, type Rule } from '../lib/validate.js';
import { HF_TASKS } from '../lib/cli/hf-flags.js';
import { durationSeconds } from '../lib/report/format.js';
import { TASKS, type Task } from '../lib/tasks/registry.js';

/** A flag's text as a number by the library's rule (lib/validate.ts), the words of its refusal kept. */
function byRule(value: string, rule: Rule, digitsOnly: boolean): number {
  const n = digitsOnly ? (/^\s*\d+\s*$/.test(value) ? Number(value) : NaN) : parseNumber(value);
  const why = rule(n);
  if (why) throw new InvalidArgumentError(`${why}, got '${value}'`);
  return n;
}

export function parsePositiveInt(value: string): number {
  return byRule(value, RULES.positiveInt, true);
}

export function parseNonNegativeInt(value: string): number {
  return byRule(value, RULES.nonNegativeInt, true);
}

/** A decimal number (1, -0.5, 3e-5): Number() would also take 0x10, 0b1 and '' — none of them a setting anyone means. */
export function parseNumber(value: string): number {
  const n = decimal(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${value}'`);
  return n;
}

/** A number at or above 0 (weight decay, clipping's norm). */
export function parseNonNegativeNumber(value: string): number {
  return byRule(value, RULES.nonNegativeNumber, false);
}

/** A learning rate and the like: a finite number above zero. */
export function parsePositiveNumber(value: string): number {
  return byRule(value, RULES.positiveNumber, false);
}

export function parseProbability(value: string): number {
  return byRule(value, RULES.probability, false);
}

/** A dropout probability: [0, 1) — at 1 nothing would pass. */
export function parseDropout(value: string): number {
  return byRule(value, RULES.dropout, false);
}

/** An inference --dtype: fp32, bf16 or int8. */
export function parseDtype(value: string): 'fp32' | 'bf16' | 'int8' {
  if (value !== 'fp32' && value !== 'bf16' && value !== 'int8') throw new InvalidArgumentError(`expected fp32, bf16 or int8, got '${value}'`);
  return value;
}

/** fine-tuning's --dtype: fp32 or bf16 (int8 is for inference: a model trained in it would not learn). */
/** predict's --aggregation-strategy: one of HF's token-classification strategies. */
export function parseAggregation(value: string): Aggregation {
  if (!(AGGREGATIONS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected ${AGGREGATIONS.join(', ')}, got '${value}'`);
  return value as Aggregation;
}

export function parseFinetuneDtype(value: string): 'fp32' | 'bf16' {
  if (value !== 'fp32' && value !== 'bf16') throw new InvalidArgumentError(`expected fp32 or bf16, got '${value}'${value === 'int8' ? ' (int8 is for predict, eval and embed)' : ''}`);
  return value;
}

/** A training --dtype: fp32, bf16, or auto (bf16 where the CPU has it). */
export function parseTrainingDtype(value: string): 'fp32' | 'bf16' | 'auto' {
  if (value !== 'fp32' && value !== 'bf16' && value !== 'auto') throw new InvalidArgumentError(`expected auto, fp32 or bf16, got '${value}'`);
  return value;
}

/** A task family; HF's pipeline names (ner, text-classification …) name ours. */
export function parseTask(value: string): Task {
  if ((TASKS as readonly string[]).includes(value)) return value as Task;
  const ours = HF_TASKS[value.toLowerCase()];
  if (ours) throw new InvalidArgumentError(`'${value}' is HF's name for it: did you mean --task ${ours}?`);
  throw new InvalidArgumentError(`expected one of ${TASKS.join(', ')}, got '${value}'`);
}

/**
 * Positional arguments as files or as texts typed on the command line (`predict --model M "The chef
 * baked bread"`): an argument that is no path on disk and holds white space, or has neither a '/' nor
 * a '.', is a text; a missing 'data/tets.tsv' stays a file, and reading it says it is not found.
 * Texts and files together are a usage error.
 */
export function textsOrFiles(args: string[]): { texts: string[] | null; files: string[] } {
  const isText = (a: string) => a !== '-' && !existsSync(a) && (/\s/.test(a) || !/[/.]/.test(a));
  const texts = args.filter(isText);
  if (!texts.length) return { texts: null, files: args };
  if (texts.length !== args.length) throw new UsageError(`give files or texts, not both: '${texts[0]}' is no file and reads as a text`, { where: args.find((a) => !isText(a)) });
  return { texts, files: [] };
}

/** A duration: 90s, 30m, 1h, 1h30m, 2.5m (a unit is required); returns seconds. */
export function parseDuration(value: string): number {
  try {
    return durationSeconds(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

// Option groups that several commands share, with one wording.

const INFERENCE_DTYPE = 'fp32; bf16: bfloat16 linear layers with float32 sums (needs AVX512_BF16); int8: the encoder\'s linear layers quantized, int32 sums (needs AVX512-VNNI); else fp32 with a notice';

/** --threads' help: one wording, with the advice for many processes at once (each takes every core by default). */
export const THREADS_HELP = 'threads the kernels use (default: every core, or BERT_NUM_THREADS; running many bert-cli processes at once, give each --threads 1: 50 concurrent predicts ran 2.9x faster so)';

/** --threads and an inference --dtype (predict, eval, embed, fill-mask). */
export function engineOptions(c: Command): Command {
  return c.option('--threads <n>', THREADS_HELP, parsePositiveInt)
    .option('--dtype <type>', INFERENCE_DTYPE, parseDtype, 'fp32');
}

/** The columns of .tsv/.csv/.jsonl records. */
export function columnOptions(c: Command, o: { label: boolean }): Command {
  c.option('--text-column <name>', 'the text column (default text, or text_a for pair)')
    .option('--text-pair-column <name>', 'the second text column for pair (default text_b)');
  return o.label ? c.option('--label-column <name>', 'the label column', 'label') : c;
}

/** The flags' columns, for the library (only those given). */
export function columnsOf(f: { textColumn?: string; textPairColumn?: string; labelColumn?: string }) {
  return { text: f.textColumn, pair: f.textPairColumn, label: f.labelColumn };
}
