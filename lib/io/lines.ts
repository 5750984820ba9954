// Text input for every command: files (plain or .gz) or standard input ('-' or no file), read as
// UTF-8 line by line. Invalid bytes become U+FFFD (as HF's Rust reader does with lossy decoding),
// a leading BOM is dropped, CRLF and LF both end a line. Each line knows its file and number, so an
// error can name them.
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { BertError } from '../errors.js';

export interface Line {
  text: string;
  file: string;
  /** 1-based */
  line: number;
}

export const STDIN = '-';

function open(path: string): Readable {
  if (path === STDIN) return process.stdin;
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BertError(code === 'ENOENT' ? 'file not found' : `cannot read (${code})`, { where: path });
  }
  if (isDir) throw new BertError('is a directory, expected a file', { where: path });
  const input = createReadStream(path);
  if (!path.endsWith('.gz')) return input;
  const gunzip = createGunzip();
  input.on('error', (e) => gunzip.destroy(e));
  return input.pipe(gunzip);
}

/** Lines of each file in turn (standard input when `paths` is empty). */
export async function* readLines(paths: string[]): AsyncGenerator<Line> {
  for (const path of paths.length ? paths : [STDIN]) {
    const stream = open(path);
    const file = path === STDIN ? '<stdin>' : path;
    stream.setEncoding('utf8');
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (let text of rl) {
        n++;
        if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        if (text.endsWith('\r')) text = text.slice(0, -1);
        yield { text, file, line: n };
      }
    } catch (err) {
      if (err instanceof BertError) throw err;
      throw new BertError(`cannot read (${(err as Error).message})`, { where: `${file}:${n + 1}` });
    } finally {
      rl.close();
    }
  }
}
