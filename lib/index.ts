// The library behind the bert-cli command: import { Tokenizer, native } from 'bert-cli'.
export { native, packageRoot } from './native.js';
export type { Isa, NativeEngine } from './native.js';
export { BertError, UsageError } from './errors.js';
export { Tokenizer } from './tokenizer/tokenizer.js';
export type { TokenizerOptions, EncodeOptions, BatchOptions, TextInput } from './tokenizer/tokenizer.js';
export type { Encoding, TruncationStrategy } from './tokenizer/encoding.js';
export { Vocab } from './tokenizer/vocab.js';
export { trainWordPiece, WordCounter } from './tokenizer/trainer.js';
