// The library behind the bert-cli command: load a model and predict, embed or fill a mask; fine-tune
// and pretrain with callbacks and an AbortSignal; the tokenizer; the task families. The raw engine
// (kernels, model classes, parameter store, optimizer) is the separate entry 'bert-cli/native'.
export { loadModel, Model } from './api/model.js';
export type { LoadOptions, PredictOptions, EvaluateOptions, Evaluation, EmbedOptions, EmbedInput, Prediction, ClassPrediction, ScorePrediction, MultilabelPrediction, TagPrediction, ChoicePrediction } from './api/model.js';
export type { QaPrediction } from './tasks/qa.js';
export type { FillCandidate } from './model/fill-mask.js';
export { finetune } from './api/finetune.js';
export type { FinetuneRequest, FinetuneResult } from './api/finetune.js';
export { pretrain } from './api/pretrain.js';
export { exportOnnx } from './api/export.js';
export type { ExportResult } from './api/export.js';
export type { PretrainRequest, PretrainResult } from './api/pretrain.js';
export type { StepReport, EvalReport } from './train/pretrain.js';
export type { DevReport } from './train/finetune.js';
export { FAMILIES, TASKS, type Task } from './tasks/registry.js';
export type { TaskFamily, Dataset, FamilyContext, Chunk, Columns } from './tasks/family.js';
export { BertError, UsageError } from './errors.js';
export { Tokenizer } from './tokenizer/tokenizer.js';
export type { TokenizerOptions, EncodeOptions, BatchOptions, TextInput } from './tokenizer/tokenizer.js';
export type { Encoding, TruncationStrategy } from './tokenizer/encoding.js';
export { Vocab } from './tokenizer/vocab.js';
export { trainWordPiece, WordCounter } from './tokenizer/trainer.js';
export { presetConfig, validateConfig, loadConfig, countParameters, PRESET_NAMES } from './config.js';
export type { BertConfig, PresetName } from './config.js';
export { AGGREGATIONS } from './tasks/entities.js';
export type { Aggregation, Entity, EntityGroup, TokenEntity } from './tasks/entities.js';
export { serve } from './serve/server.js';
export type { ServeOptions, Server } from './serve/server.js';
