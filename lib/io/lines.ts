// Text input for every command: files (plain or .gz) or standard input ('-' or no file), read as
// UTF-8 line by line. Invalid bytes become U+FFFD (as HF's Rust reader does with lossy decoding),
// a leading BOM is dropped, CRLF and LF both end a line (a lone CR does not), and a line is cut
// at MAX_LINE_CHARS while it is read. Each line knows its file and number, so an
// error can name them.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { BertError } from '../errors.js';
import { assertReadable } from './read.js';

export interface Line {
  text: string;
  file: string;
  /** 1-based */
  line: number;
  /** the line was longer than MAX_LINE_CHARS and is cut there */
  cut?: true;
}

export const STDIN = '-';

/**
 * The longest line kept, in UTF-16 units: far past what any BERT input can use (512 tokens of at
 * most 100 characters), short enough that memory stays bounded by it, not by the file — a line is
 * cut while it is read, never held whole (a 50 MB line, or 10 GiB of zeros in a small .gz).
 */
export const MAX_LINE_CHARS = 1 << 18;

function open(path: string): Readable {
  if (path === STDIN) {
    assertReadable(STDIN, 'standard input');
    return process.stdin;
  }
  assertReadable(path, 'file');
  const input = createReadStream(path);
  if (!path.endsWith('.gz')) return input;
  const gunzip = createGunzip();
  input.on('error', (e) => gunzip.destroy(e));
  return input.pipe(gunzip);
}

/**
 * Lines of a text stream: LF or CRLF ends one (a lone CR stays inside its line, as in the TSV/CoNLL
 * readers); a line longer than `max` keeps its first `max` units and reports `cut`.
 */
async function* splitLines(stream: Readable, max: number): AsyncGenerator<{ text: string; cut: boolean }> {
  let rest = '';
  let cut = false; // the current line was cut: drop the rest of it up to its end
  for await (const chunk of stream as AsyncIterable<string>) {
    let start = 0;
    for (let i = chunk.indexOf('\n'); ; i = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, i < 0 ? undefined : i);
      if (!cut) {
        rest += piece;
        if (rest.length > max) {
          rest = rest.slice(0, max);
          cut = true;
        }
      }
      if (i < 0) break;
      yield { text: rest.endsWith('\r') ? rest.slice(0, -1) : rest, cut };
      rest = '';
      cut = false;
      start = i + 1;
    }
  }
  if (rest || cut) yield { text: rest.endsWith('\r') ? rest.slice(0, -1) : rest, cut };
}

export interface ReadLinesOptions {
  maxChars?: number;
  /** told of each line cut at maxChars, so the command can say how many were */
  onCut?: () => void;
}

/** Lines of each file in turn (standard input when `paths` is empty). */
export async function* readLines(paths: string[], opts: ReadLinesOptions = {}): AsyncGenerator<Line> {
  for (const path of paths.length ? paths : [STDIN]) {
    const stream = open(path);
    const file = path === STDIN ? '<stdin>' : path;
    stream.setEncoding('utf8');
    let n = 0;
    try {
      for await (const l of splitLines(stream, opts.maxChars ?? MAX_LINE_CHARS)) {
        n++;
        const text = n === 1 && l.text.charCodeAt(0) === 0xfeff ? l.text.slice(1) : l.text;
        if (l.cut) opts.onCut?.();
        yield l.cut ? { text, file, line: n, cut: true } : { text, file, line: n };
      }
    } catch (err) {
      if (err instanceof BertError) throw err;
      throw new BertError(`cannot read (${(err as Error).message})`, { where: `${file}:${n + 1}` });
    }
  }
}
