// 'bert-cli/native': the engine under the library, for code that drives the model itself — the
// addon's kernels (typed in native.ts), BERT with a head over one flat parameter store, AdamW and
// its schedules, model directories and safetensors.
export { native, packageRoot } from './native.js';
export type { Isa, NativeEngine } from './native.js';
export { BertForTask, ARCHITECTURES } from './model/bert.js';
export type { Architecture, Targets, StepResult } from './model/bert.js';
export type { Batch, Dtype } from './model/encoder.js';
export { ParamStore } from './model/params.js';
export { AdamW, linearSchedule, constantSchedule } from './train/optimizer.js';
export { loadModelDir, saveModelDir } from './model-dir/model-dir.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
export { presetConfig, validateConfig, loadConfig } from './config.js';
export type { BertConfig, PresetName } from './config.js';
export { Tokenizer } from './tokenizer/tokenizer.js';
