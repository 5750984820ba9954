// Parsers for numeric flags: each throws commander's InvalidArgumentError, which the program
// reports as a usage error (exit code 2) naming the flag.
import { InvalidArgumentError } from 'commander';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  }
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  }
  return n;
}

export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${value}'`);
  return n;
}

/** A learning rate and the like: a finite number above zero. */
export function parsePositiveNumber(value: string): number {
  const n = parseNumber(value);
  if (!(n > 0)) throw new InvalidArgumentError(`expected a number above 0, got '${value}'`);
  return n;
}

export function parseProbability(value: string): number {
  const n = parseNumber(value);
  if (n < 0 || n > 1) throw new InvalidArgumentError(`expected a number between 0 and 1, got '${value}'`);
  return n;
}

/** A dropout probability: [0, 1) — at 1 nothing would pass. */
export function parseDropout(value: string): number {
  const n = parseNumber(value);
  if (n < 0 || n >= 1) throw new InvalidArgumentError(`expected a number in [0, 1), got '${value}'`);
  return n;
}

export function parseDtype(value: string): 'fp32' | 'bf16' {
  if (value !== 'fp32' && value !== 'bf16') throw new InvalidArgumentError(`expected fp32 or bf16, got '${value}'`);
  return value;
}

/** A training --dtype: fp32, bf16, or auto (bf16 where the CPU has it). */
export function parseTrainingDtype(value: string): 'fp32' | 'bf16' | 'auto' {
  if (value !== 'fp32' && value !== 'bf16' && value !== 'auto') throw new InvalidArgumentError(`expected auto, fp32 or bf16, got '${value}'`);
  return value;
}

/** A duration: 90s, 30m, 1h, 1h30m, 2.5m (a unit is required); returns seconds. */
export function parseDuration(value: string): number {
  const m = /^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$/.exec(value);
  const seconds = m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : NaN;
  if (!m || !(m[1] || m[2] || m[3]) || !(seconds > 0) || !Number.isFinite(seconds)) {
    throw new InvalidArgumentError(`expected a duration such as 90s, 30m, 1h or 1h30m, got '${value}'`);
  }
  return seconds;
}
