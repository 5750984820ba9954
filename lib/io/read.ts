// Reading a whole input file, with the one error every reader gives when it cannot:
// "<what> not found, <path>" or "cannot read (<code>), <path>". Only a regular file (or standard
// input that is a pipe, a file or a terminal) is read: a FIFO would hang, /dev/zero would grow
// memory without end, a directory reads as nothing. `.gz` files are decompressed. A caller that
// knows how large its file can sensibly be (config.json, vocab.txt) gives `maxBytes`.
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
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
    // with a cap, the bytes read count, not st_size (a /proc file says 0 and never ends): a gzip
    // file is read up to the cap, its decompressed size is checked below
    buf = max !== undefined && path !== '-' ? readAtMost(path, path.endsWith('.gz') ? 2 * max + 1024 : max + 1) : readFileSync(path === '-' ? 0 : path); // '-': standard input
  } catch (err) {
    throw readError(err, what, path);
  }
  if (max !== undefined && buf.length > max && !path.endsWith('.gz')) {
    throw new BertError(`${what} is more than the ${mib(max)} one can sensibly be`, { where: path });
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
 * A JSON file (config.json, tokenizer.json …) parsed, with the one error every reader gives: a BOM
 * is taken (as HF's readers take it), a parse error is one line naming the file with JSON.parse's
 * reason cut to a readable length (never a 52 MB value echoed), and nesting too deep for the parser is
 * said as such instead of "Maximum call stack size exceeded".
 */
export function readJsonFile(path: string, what: string, maxBytes: number): unknown {
  let text = readInput(path, what, 'utf8', { maxBytes });
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (err instanceof RangeError) throw new BertError('invalid JSON (nested too deeply)', { where: path });
    const reason = (err as Error).message;
    throw new BertError(`invalid JSON (${reason.length > 160 ? reason.slice(0, 160) + '…' : reason})`, { where: path });
  }
  // a value nested deeper than any real config is refused here: everything that walks it later
  // (validation, JSON.stringify when the directory is saved again) recurses
  if (depthOver(value, MAX_JSON_DEPTH)) throw new BertError(`invalid JSON (nested more than ${MAX_JSON_DEPTH} levels deep)`, { where: path });
  return value;
}

/** The deepest nesting a model directory's JSON files may have (HF's configs nest 3 or 4 levels). */
export const MAX_JSON_DEPTH = 64;

/** Whether `v` nests arrays or objects deeper than `max` levels (walked without recursion). */
function depthOver(v: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > max) return true;
    for (const c of Array.isArray(x) ? x : Object.values(x)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return false;
}

/**
 * Whether a model directory's optional file is there; a symlink to nothing is an error naming it
 * (it was taken as absent, and vocab.txt or CLS pooling used instead without a word).
 */
export function presentFile(path: string, what: string): boolean {
  if (existsSync(path)) return true;
  if (danglingLink(path)) throw new BertError(`${what} is a symbolic link to nothing`, { where: path });
  return false;
}

/** Whether `path` is a symbolic link whose target is not there. */
export function danglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() && !existsSync(path);
  } catch {
    return false; // not there at all
  }
}

/** At most `limit` bytes of a file, read in chunks (a file that grows while read, or a /proc file, stops there). */
function readAtMost(path: string, limit: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < limit) {
      const b = Buffer.allocUnsafe(Math.min(1 << 20, limit - total));
      const n = readSync(fd, b, 0, b.length, null);
      if (n === 0) break;
      chunks.push(n === b.length ? b : b.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
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
