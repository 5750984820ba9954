// Reading a whole input file, with the one error every reader gives when it cannot:
// "<what> not found, <path>" or "cannot read (<code>), <path>".
import { readFileSync } from 'node:fs';
import { BertError } from '../errors.js';

export function readInput(path: string, what: string): Buffer;
export function readInput(path: string, what: string, encoding: 'utf8'): string;
export function readInput(path: string, what: string, encoding?: 'utf8'): Buffer | string {
  try {
    const src = path === '-' ? 0 : path; // '-': standard input
    return encoding ? readFileSync(src, encoding) : readFileSync(src);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BertError(code === 'ENOENT' ? `${what} not found` : `cannot read (${code ?? (err as Error).message})`, { where: path });
  }
}
