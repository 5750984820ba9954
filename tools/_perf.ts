import { readFileSync } from 'node:fs';
import { Tokenizer } from '../lib/tokenizer/tokenizer.js';
import { bertBaseUncasedVocabPath } from '../test/helpers/bert-vocab.js';
const lines = readFileSync('/tmp/sotu.txt', 'utf8').split('\n');
const bytes = Buffer.byteLength(lines.join('\n'));
const tok = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath());
for (let r = 0; r < 3; r++) { const t = process.hrtime.bigint(); let n = 0; for (const l of lines) n += tok.encode(l).ids.length; const s = Number(process.hrtime.bigint() - t) / 1e9; console.log('encode', (bytes / s / 1e6).toFixed(1), 'MB/s', (n / s / 1e6).toFixed(2), 'M tok/s'); }
for (let r = 0; r < 2; r++) { const t = process.hrtime.bigint(); let n = 0; for (const l of lines) n += tok.pieces(l).ids.length; const s = Number(process.hrtime.bigint() - t) / 1e9; console.log('pieces', (bytes / s / 1e6).toFixed(1), 'MB/s'); }
