// The two kinds of failure a user sees. Both print as one line: `bert-cli: error: <what>, <where>`.
//   UsageError — a bad flag or argument (exit code 2);
//   BertError  — bad input or a failed run (exit code 1), naming the file and line, flag or tensor.
export class BertError extends Error {
  readonly where?: string;
  readonly hint?: string;
  constructor(message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    // one line whatever the message quotes (a JSON parser's snippet of the input, a user's text)
    super(message.replace(/\s*[\r\n]+\s*/g, ' '), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BertError';
    this.where = opts.where;
    this.hint = opts.hint;
  }
}

export class UsageError extends BertError {
  constructor(message: string, opts: { where?: string; hint?: string } = {}) {
    super(message, opts);
    this.name = 'UsageError';
  }
}

/** The one-line form of any error, as the CLI prints it. */
export function formatError(err: unknown): string {
  if (err instanceof BertError) {
    let line = cut(err.message);
    if (err.where) line += `, ${cut(err.where)}`;
    if (err.hint) line += ` (${cut(err.hint)})`;
    return line;
  }
  if (err instanceof Error) return cut(err.message.split('\n')[0]);
  return cut(String(err));
}

/** The most of any one part of an error line: a value quoted from input (a 52 MB config field) is cut. */
export const MAX_ERROR_PART = 500;
const cut = (s: string) => (s.length > MAX_ERROR_PART ? `${s.slice(0, MAX_ERROR_PART)}… (${s.length - MAX_ERROR_PART} more characters)` : s);

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}

/**
 * What an I/O error says, for a person: "no space left on device (ENOSPC)" from Node's
 * "ENOSPC: no space left on device, write" — the path goes in the message's `where`.
 */
export function ioReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const m = /^[A-Z]+: ([^,]+)/.exec(e?.message ?? '');
  return e?.code && m ? `${m[1]} (${e.code})` : (e?.message ?? String(err)).split('\n')[0];
}

/** Runs a write, turning an I/O error into a one-line BertError naming the file. */
export function writing<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof BertError) throw err;
    throw new BertError(`cannot write (${ioReason(err)})`, { where: path, cause: err });
  }
}
