// Reading a whole input file, with the one error every reader gives when it cannot:
// "<what> not found, <path>" or "cannot read (<code>), <path>". Only a regular file (or standard
// input that is a pipe, a file or a terminal) is read: a FIFO would hang, /dev/zero would grow
// memory without end, a directory reads as nothing. `.gz` files are decompressed. A caller that
// knows how large its file can sensibly be (config.json, vocab.txt) gives `maxBytes`.
import { existsSync, fstatSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { BertError } from '../errors.js';

export interface ReadOptions {
  /** refuse a file larger than this (before reading it; after decompression for .gz) */
  maxBytes?: number;
}

/** The one not-found / cannot-read error of every reader. */
const readError = (err: unknown, what: string, path: string) => {
  const code = (err as NodeJS.ErrnoException).code;
  return new BertError(code === 'ENOENT' ? `${what} not found` : `cannot read (${code ?? (err as Error).message})`, { where: path });
};

const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 0)} MiB`;

/** Refuses anything but a regular file (or a usable standard input); returns its size when known. */
export function assertReadable(path: string, what: string): number | null {
  let st;
  try {
    st = path === '-' ? fstatSync(0) : statSync(path);
  } catch (err) {
    throw readError(err, what, path);
  }
  if (path === '-') {
    if (st.isDirectory()) throw new BertError('standard input is a directory', { where: '<stdin>' });
    return st.isFile() ? st.size : null;
  }
  if (st.isDirectory()) throw new BertError(`${what} is a directory, not a file`, { where: path });
  if (!st.isFile()) throw new BertError(`${what} is not a regular file (a FIFO, device or socket is never read)`, { where: path });
  return st.size;
}

export function readInput(path: string, what: string, encoding?: undefined, opts?: ReadOptions): Buffer;
export function readInput(path: string, what: string, encoding: 'utf8', opts?: ReadOptions): string;
export function readInput(path: string, what: string, encoding?: 'utf8', opts: ReadOptions = {}): Buffer | string {
  const size = assertReadable(path, what);
  const max = opts.maxBytes;
  if (max !== undefined && size !== null && size > max && !path.endsWith('.gz')) {
    throw new BertError(`${what} is ${mib(size)}, more than the ${mib(max)} one can sensibly be`, { where: path });
  }
  let buf: Buffer;
  try {
    buf = readFileSync(path === '-' ? 0 : path); // '-': standard input
  } catch (err) {
    throw readError(err, what, path);
  }
  if (path.endsWith('.gz')) {
    try {
      buf = gunzipSync(buf, max !== undefined ? { maxOutputLength: max } : {});
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new BertError(`${what} decompresses to more than ${mib(max ?? 0)}`, { where: path });
      throw new BertError(`not a valid gzip file (${e.code ?? e.message})`, { where: path });
    }
  }
  return encoding ? buf.toString('utf8') : buf;
}

/**
 * Refuses a model directory that is not there, and says, for what looks like a Hub name
 * (bert-base-uncased, org/name), that bert-cli reads directories and never downloads.
 */
export function assertModelDirExists(dir: string): void {
  if (existsSync(dir)) return;
  const hubLike = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(dir);
  throw new BertError('model directory not found', {
    where: dir,
    hint: hubLike ? `bert-cli never downloads models: fetch the directory elsewhere (e.g. \`huggingface-cli download ${dir} --local-dir ${dir.split('/').pop()}\`) with config.json, model.safetensors and vocab.txt or tokenizer.json, and pass its path` : undefined,
  });
}
