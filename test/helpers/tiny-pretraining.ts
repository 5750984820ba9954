// A small pretraining setup for the loop's tests: twelve State of the Union addresses, an 800-token
// WordPiece vocabulary learned from them and a one-layer-of-32 config — a step takes milliseconds.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { sotuAddresses, toPretrainingText } from '../../lib/data/sotu.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { trainWordPiece, WordCounter } from '../../lib/tokenizer/trainer.js';

export function tinyPretraining(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, toPretrainingText(sotuAddresses().slice(200, 212)));
  const counter = new WordCounter(true);
  for (const l of readFileSync(corpus, 'utf8').split('\n')) counter.addLine(l);
  const tokenizer = new Tokenizer(trainWordPiece(counter.counts, { size: 800 }));
  const config = validateConfig({ ...presetConfig('tiny', tokenizer.vocab.size), hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 });
  return { dir, corpus, tokenizer, config };
}
