// Labelled and unlabelled text records from TSV, CSV (with a header row) and JSON Lines, the
// formats finetune, predict and eval read. Quoted fields (RFC 4180: "" inside quotes, newlines in
// quotes) work in both delimited formats; a BOM and CRLF are handled. A malformed row is an error
// naming the file and line, or, with skipBad, skipped and reported.
import { extname } from 'node:path';
import { BertError } from '../errors.js';
import { readLines } from '../io/lines.js';
import { readInput } from '../io/read.js';

export type Row = Record<string, string | number | boolean | string[] | number[] | null | undefined>;

export interface RecordSource {
  rows: Row[];
  /** 1-based line of each row in the file */
  lines: number[];
  columns: string[];
  file: string;
  skipped: { line: number; reason: string }[];
}

export type Format = 'tsv' | 'csv' | 'jsonl';

export function formatOf(path: string): Format {
  const ext = extname(path.endsWith('.gz') ? path.slice(0, -3) : path).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (['.conll', '.conllu', '.conllx', '.iob', '.bio'].includes(ext)) {
    throw new BertError(`a CoNLL file (a word and its tag a line) is for --task tag; this task reads a .tsv, .csv or .jsonl of texts and labels`, { where: path });
  }
  throw new BertError(`cannot tell the format from the extension '${ext || '(none)'}'`, { where: path, hint: 'use .tsv, .csv or .jsonl' });
}

/**
 * Splits delimited text into records of fields; returns each record's first line. CSV honours RFC
 * 4180 quotes (a quoted field may hold the delimiter, quotes and line breaks); TSV, as in BERT's world
 * (Google's reader and HF datasets read it with quotechar=None), has none: a `"` is a character, and
 * every line is one record. LF and CRLF end a record; a lone CR is part of its field.
 */
export function parseDelimited(text: string, delim: string): { fields: string[][]; lines: number[] } {
  const quotes = delim !== '\t';
  const fields: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1, rowLine = 1;
  let atFieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && atFieldStart && quotes) { quoted = true; atFieldStart = false; continue; }
    if (c === delim) { row.push(field); field = ''; atFieldStart = true; continue; }
    if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(field);
      if (!(row.length === 1 && row[0] === '')) { fields.push(row); lines.push(rowLine); }
      row = []; field = ''; atFieldStart = true;
      line++;
      rowLine = line;
      continue;
    }
    field += c;
    atFieldStart = false;
  }
  if (quoted) throw new BertError('a quoted field is never closed', { where: `line ${rowLine}` });
  if (field !== '' || row.length) {
    row.push(field);
    fields.push(row);
    lines.push(rowLine);
  }
  return { fields, lines };
}

export function readRecords(path: string, opts: { skipBad?: boolean } = {}): RecordSource {
  let text = readInput(path, 'file', 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const fmt = formatOf(path);
  const src: RecordSource = { rows: [], lines: [], columns: [], file: path, skipped: [] };
  const bad = (line: number, reason: string) => {
    if (!opts.skipBad) throw new BertError(reason, { where: `${path}:${line}`, hint: '--skip-bad skips such rows' });
    src.skipped.push({ line, reason });
  };
  if (fmt === 'jsonl') {
    const cols = new Set<string>();
    text.split('\n').forEach((raw, i) => jsonRow(src, cols, raw, i + 1, bad));
    src.columns = [...cols];
  } else {
    let parsed;
    try {
      parsed = parseDelimited(text, fmt === 'tsv' ? '\t' : ',');
    } catch (err) {
      throw err instanceof BertError ? new BertError(err.message, { where: `${path}:${err.where?.replace('line ', '')}` }) : err;
    }
    const [header, ...rest] = parsed.fields;
    if (!header) throw new BertError('the file is empty (a header row is expected)', { where: path });
    src.columns = header.map((h) => h.trim());
    rest.forEach((f, i) => delimitedRow(src, f, parsed.lines[i + 1], bad));
  }
  if (src.rows.length === 0 && src.skipped.length === 0) throw new BertError('no rows', { where: path });
  return src;
}

type Bad = (line: number, reason: string) => void;

/** A JSON Lines line as an object; null for a blank line, or for one that is not a JSON object (told to `bad`). */
export function jsonObjectLine(raw: string, bad: (reason: string) => void, what = 'not a JSON object'): Record<string, unknown> | null {
  const l = raw.trim();
  if (!l) return null;
  let v: unknown;
  try {
    v = JSON.parse(l);
  } catch {
    bad(what);
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    bad(what);
    return null;
  }
  return v as Record<string, unknown>;
}

function jsonRow(src: RecordSource, cols: Set<string>, raw: string, line: number, bad: Bad): void {
  const v = jsonObjectLine(raw, (reason) => bad(line, reason));
  if (!v) return;
  for (const k of Object.keys(v)) cols.add(k);
  src.rows.push(v as Row);
  src.lines.push(line);
}

function delimitedRow(src: RecordSource, f: string[], line: number, bad: Bad): void {
  if (f.length !== src.columns.length) return bad(line, `expected ${src.columns.length} fields as the header has, found ${f.length}`);
  const row: Row = {};
  src.columns.forEach((c, k) => (row[c] = f[k]));
  src.rows.push(row);
  src.lines.push(line);
}

/** The most characters one record of a stream may span (a quoted field over many lines included). */
export const MAX_RECORD_CHARS = 1 << 24;

/**
 * Updates `state` (inside a quoted field; at a field's start) over one more line of CSV and says
 * whether a quoted field is still open at its end — RFC 4180's rules, as parseDelimited applies them.
 */
function quoteOpenAfter(line: string, delim: string, state: { quoted: boolean; atFieldStart: boolean }): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (state.quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') i++;
        else state.quoted = false;
      }
      continue;
    }
    if (c === '"' && state.atFieldStart) {
      state.quoted = true;
      state.atFieldStart = false;
    } else state.atFieldStart = c === delim;
  }
  return state.quoted;
}

/**
 * The records of a file as a stream, in chunks of at most `size` rows, so that memory is bounded by
 * a chunk whatever the file's size. A quoted field may span lines: a record ends at the first line
 * break at which it parses with every quote closed, as readRecords reads it.
 */
export async function* streamRecords(path: string, opts: { skipBad?: boolean; size: number; onCut?: () => void }): AsyncGenerator<RecordSource> {
  const fmt = formatOf(path);
  const delim = fmt === 'csv' ? ',' : '\t';
  const fresh = (columns: string[]): RecordSource => ({ rows: [], lines: [], columns, file: path, skipped: [] });
  let header: string[] | null = null;
  let src = fresh([]);
  const cols = new Set<string>();
  let any = false;
  const bad: Bad = (line, reason) => {
    // (predict reads this way: it answers every line, and has no --skip-bad to name)
    if (!opts.skipBad) throw new BertError(reason, { where: `${path}:${line}`, ...(opts.skipBad === false ? { hint: '--skip-bad skips such rows' } : {}) });
    src.skipped.push({ line, reason });
  };
  let pending = '', pendingLine = 0;
  // whether a quoted field is open at the end of what is pending, kept line by line: a stray quote
  // in a 20,000-row CSV made every later line re-parse the whole pending record (quadratic)
  const open = { quoted: false, atFieldStart: true };
  for await (const l of readLines([path], { onCut: opts.onCut })) {
    if (fmt === 'jsonl') {
      jsonRow(src, cols, l.text, l.line, bad);
    } else {
      pending = pendingLine ? `${pending}\n${l.text}` : l.text;
      if (!pendingLine) pendingLine = l.line;
      if (delim !== '\t' && quoteOpenAfter(l.text, delim, open)) {
        if (pending.length <= MAX_RECORD_CHARS) continue; // a quoted field is still open: the record goes on to the next line
        bad(pendingLine, `a quoted field opened here runs on past ${MAX_RECORD_CHARS.toLocaleString('en-US')} characters (a stray quote?)`);
        pending = '';
        pendingLine = 0;
        open.quoted = false;
        open.atFieldStart = true;
        continue;
      }
      open.atFieldStart = true;
      const fields = parseDelimited(pending, delim).fields[0] ?? [''];
      if (!header) {
        header = fields.map((h) => h.trim());
        src.columns = header;
      } else if (pending.trim() !== '') {
        delimitedRow(src, fields, pendingLine, bad);
      }
      pending = '';
      pendingLine = 0;
    }
    if (src.rows.length >= opts.size) {
      if (fmt === 'jsonl') src.columns = [...cols];
      any = true;
      yield src;
      src = fresh(header ?? []);
    }
  }
  if (pendingLine) bad(pendingLine, 'a quoted field is never closed');
  if (fmt === 'jsonl') src.columns = [...cols];
  if (!header && fmt !== 'jsonl') throw new BertError('the file is empty (a header row is expected)', { where: path });
  if (!any && src.rows.length === 0 && src.skipped.length === 0) throw new BertError('no rows', { where: path });
  if (src.rows.length || src.skipped.length) yield src;
}

