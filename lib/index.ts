// The library behind the bert-cli command: import { Tokenizer, native } from 'bert-cli'.
export { native, packageRoot } from './native.js';
export type { Isa, NativeEngine } from './native.js';
export { BertError, UsageError } from './errors.js';
export { Tokenizer } from './tokenizer/tokenizer.js';
export type { TokenizerOptions, EncodeOptions, BatchOptions, TextInput } from './tokenizer/tokenizer.js';
export type { Encoding, TruncationStrategy } from './tokenizer/encoding.js';
export { Vocab } from './tokenizer/vocab.js';
export { trainWordPiece, WordCounter } from './tokenizer/trainer.js';
export { presetConfig, validateConfig, loadConfig, countParameters, PRESET_NAMES } from './config.js';
export type { BertConfig, PresetName } from './config.js';
export { BertForTask, ARCHITECTURES } from './model/bert.js';
export type { Architecture, Targets, StepResult } from './model/bert.js';
export type { Batch } from './model/encoder.js';
export { AdamW, linearSchedule, constantSchedule } from './train/optimizer.js';
export { loadModelDir, saveModelDir } from './io/model-dir.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
