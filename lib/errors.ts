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
    let line = err.message;
    if (err.where) line += `, ${err.where}`;
    if (err.hint) line += ` (${err.hint})`;
    return line;
  }
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}
