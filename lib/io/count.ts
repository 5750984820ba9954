// How many inputs files hold, from their format, in one linear pass of 1 MiB reads (no file is held
// whole; up to 1 GiB of input, about a second here — past it predict shows no total): text lines count every line, JSON Lines too, .tsv/.csv their lines after the header,
// .conll its sentences (runs of non-empty lines). Null when it cannot be told without parsing:
// standard input, a SQuAD .json, a .csv whose quoted fields may hold line breaks (a quote seen; TSV
// has no quoting).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';

/** Past this many bytes of input no total is counted: the pass before the first answer would cost seconds. */
export const MAX_COUNTED_BYTES = 1 << 30;

export function countInputs(files: string[]): number | null {
  if (!files.length) return null;
  let bytes = 0;
  for (const f of files) bytes += f !== '-' && existsSync(f) ? statSync(f).size : 0;
  if (bytes > MAX_COUNTED_BYTES) return null;
  let total = 0;
  for (const file of files) {
    const ext = extname(file).toLowerCase();
    // only a regular file is counted: opening a FIFO would wait for its writer (the reader refuses it)
    if (file === '-' || ext === '.json' || ext === '.gz' || !existsSync(file) || !statSync(file).isFile()) return null;
    const c = scan(file);
    if (ext === '.conll') total += c.blocks;
    else if (ext === '.csv' && c.quotes) return null;
    else if (ext === '.tsv' || ext === '.tab' || ext === '.csv') total += Math.max(0, c.nonEmpty - 1);
    else total += c.lines; // a text line is an input, empty or not
  }
  return total;
}

/** Non-empty lines, runs of them (blocks), and whether a double quote occurs. */
function scan(file: string): { lines: number; nonEmpty: number; blocks: number; quotes: boolean } {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let lines = 0, nonEmpty = 0, blocks = 0, quotes = false, lineHasText = false, prevLineHadText = false, partial = false;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      for (let i = 0; i < n; i++) {
        const b = buf[i];
        partial = b !== 0x0a;
        if (b === 0x0a) {
          lines++;
          if (lineHasText) {
            nonEmpty++;
            if (!prevLineHadText) blocks++;
          }
          prevLineHadText = lineHasText;
          lineHasText = false;
        } else if (b !== 0x0d && b !== 0x20 && b !== 0x09) {
          lineHasText = true;
          if (b === 0x22) quotes = true;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  if (partial) lines++;
  if (lineHasText) {
    nonEmpty++;
    if (!prevLineHadText) blocks++;
  }
  return { lines, nonEmpty, blocks, quotes };
}
