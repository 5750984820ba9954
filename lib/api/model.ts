// A model directory as a library user holds it: `const m = await loadModel(dir)`, then
// `m.predict([...])` (a fine-tuned model, any family), `m.evaluate(file)`, `m.embed(texts)`,
// `m.fillMask(text)`. Each use loads the model class it needs once (the task head for predict, the
// bare encoder for embed, the MLM head for fill-mask) and checks that the directory has trained
// weights for it, as the commands do — the commands are written on this.
import { INFERENCE_RULES, validateRequest } from '../validate.js';
import { DEFAULT_MAX_LENGTH, DEFAULTS } from '../defaults.js';
import type { BertConfig } from '../config.js';
import { labelsOf } from '../config.js';
import { setDtype, setThreads } from '../engine.js';
import { BertError } from '../errors.js';
import { loadModelDir, modelDirConfig, requireTaskHead } from '../model-dir/model-dir.js';
import { sentenceEmbedding, type SentenceEmbedding } from '../io/sentence-transformers.js';
import type { Architecture, BertForTask } from '../model/bert.js';
import { embedBatch, unitLength, type Pooling } from '../model/embed.js';
import type { InferenceDtype } from '../model/encoder.js';
import { fillMask, type FillCandidate } from '../model/fill-mask.js';
import { assertMemoryFits } from '../model/memory.js';
import { padBatch, runBatch, runBatchesYielding } from '../tasks/batching.js';
import { evaluate } from '../train/evaluate.js';
import type { AnyFamily, Chunk, Columns, FamilyContext, QaFlags } from '../tasks/family.js';
import { family as familyByName, familyOfConfig, maxLengthOfConfig, type Task } from '../tasks/registry.js';
import type { QaPrediction } from '../tasks/qa.js';
import type { Aggregation, Entity } from '../tasks/entities.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';

export interface LoadOptions {
  /** bf16: bfloat16 linear layers with float32 sums (AVX512_BF16); int8: dynamic quantization of the
   *  encoder's linear layers, int32 sums (AVX512-VNNI); else fp32 and a notice */
  dtype?: InferenceDtype;
  /** threads the kernels use (the engine's, for the whole process) */
  threads?: number;
  /** one-line notices (a dtype the CPU lacks …); default: none */
  onNotice?: (line: string) => void;
}

export interface PredictOptions {
  /** examples per forward pass (sorted by length, padded to the longest); default 32 */
  batchSize?: number;
  /** tokens per example; default: what the model was fine-tuned with, else 128 */
  maxLength?: number;
  /** classify/pair: only the k most likely labels in `scores` */
  topK?: number;
  /** qa: window and answer settings */
  qa?: QaFlags;
  /** tag, raw text: aggregation strategy (HF's: none, simple, first, average, max; default simple) and the tokens windows share */
  tag?: { aggregation?: Aggregation; stride?: number };
  /** columns of .tsv/.csv/.jsonl inputs (predictFiles, evaluate) */
  columns?: Partial<Columns>;
  /** after each batch: how many of this call's examples are done */
  onBatch?: (done: number) => void;
}

export interface EvaluateOptions extends PredictOptions {
  /** score the model as this family instead of its own */
  task?: Task;
  skipBad?: boolean;
}

/** classify and pair */
export interface ClassPrediction { label: string; score: number; scores: Record<string, number>; logits: number[] }
export interface ScorePrediction { score: number }
export interface MultilabelPrediction { labels: string[]; scores: Record<string, number> }
/** tag: the words and their tags; for a raw text also its entities (offsets into the text) */
export interface TagPrediction { words: string[]; tags: (string | null)[]; entities?: Entity[] }
export interface ChoicePrediction { choice: number; scores: number[] }
export type Prediction = ClassPrediction | ScorePrediction | MultilabelPrediction | TagPrediction | ChoicePrediction | QaPrediction;

export interface Evaluation {
  task: string;
  loss: number;
  /** the number the best checkpoint is chosen by, and what it is */
  score: number;
  metric: string;
  metrics: Record<string, unknown>;
  /** truncated, skipped … as the family counts them */
  counts: Record<string, number>;
}

export interface EmbedOptions {
  /** cls: last hidden state at [CLS]; pooler: the pooler's output; mean / max: over the real tokens. Default: a sentence-transformers directory's (modules.json), else cls */
  pooling?: Exclude<Pooling, 'tokens'>;
  /** scale each vector to unit length (cosine similarity is then a dot product); default: whether a sentence-transformers directory normalizes */
  normalize?: boolean;
  /** default: sentence_bert_config.json's max_seq_length, else 128 */
  maxLength?: number;
  batchSize?: number;
}

/** A text to embed: one text, or a pair. */
export type EmbedInput = string | [string, string];

export async function loadModel(dir: string, o: LoadOptions = {}): Promise<Model> {
  setThreads(o.threads);
  return new Model(dir, modelDirConfig(dir), o);
}

export class Model {
  /** the family it was fine-tuned for, or null for a pretrained (or bare) encoder */
  readonly task: Task | null;
  readonly labels: string[];
  private tok: Tokenizer | null = null;
  private st: SentenceEmbedding | null | undefined;
  private loaded = new Map<Architecture, { model: BertForTask; tokenizer: Tokenizer; dtype: InferenceDtype }>();

  constructor(readonly dir: string, readonly config: BertConfig, private readonly o: LoadOptions = {}) {
    const f = familyOfConfig(config);
    const fineTuned = typeof config.bert_cli_task === 'string' || config.architectures?.[0] === f.arch;
    this.task = fineTuned ? (f.name as Task) : null;
    this.labels = labelsOf(config);
  }

  /** The tokenizer of the directory (vocab.txt, tokenizer_config.json). */
  get tokenizer(): Tokenizer {
    return (this.tok ??= Tokenizer.fromModelDir(this.dir));
  }

  private use<R>(arch: Architecture, check: (l: ReturnType<typeof loadModelDir>) => R): { model: BertForTask; tokenizer: Tokenizer; dtype: InferenceDtype } {
    let m = this.loaded.get(arch);
    if (!m) {
      const l = loadModelDir(this.dir, { arch });
      check(l);
      if (!l.tokenizer) throw new BertError('model directory has no tokenizer (tokenizer.json or vocab.txt)', { where: this.dir });
      const dtype = setDtype(l.model, this.o.dtype, this.o.onNotice ?? (() => {}));
      m = { model: l.model, tokenizer: l.tokenizer, dtype };
      this.loaded.set(arch, m);
    }
    return m;
  }

  /** The family's model, its head checked, and the context its inputs are read in. */
  private forTask(f: AnyFamily, o: PredictOptions & { skipBad?: boolean }, what: string) {
    const m = this.use(f.arch, (l) => requireTaskHead(l, f.name, this.dir));
    const batchSize = o.batchSize ?? DEFAULTS.inferenceBatchSize, maxLength = maxLengthOfConfig(this.config, o.maxLength);
    assertMemoryFits(this.config, batchSize, maxLength, { training: false, bf16: m.dtype === 'bf16', int8: m.dtype === 'int8', what });
    const ctx: FamilyContext = { tokenizer: m.tokenizer, maxLength, config: this.config, labels: this.labels, columns: o.columns, qa: o.qa, tag: o.tag, topK: o.topK, skipBad: o.skipBad };
    return { ...m, ctx, batchSize, padId: m.tokenizer.vocab.special('[PAD]') };
  }

  /** The model's family; for a directory fine-tuned for none, a classifier's, whose missing head requireTaskHead then names. */
  private family(): AnyFamily {
    return this.task ? familyByName(this.task) : familyOfConfig(this.config);
  }

  /** Predictions for inputs given as values: texts (classify, regression, multilabel, tag), [text, pair] (pair), { question, context } (qa), { sent1, sent2, endings } (choice). */
  async predict<R extends Prediction = Prediction>(inputs: unknown[], o: PredictOptions = {}): Promise<R[]> {
    if (!Array.isArray(inputs)) throw new BertError(`predict takes an array of inputs, not ${inputs === null ? 'null' : typeof inputs}`, { where: 'inputs', hint: "one text: predict(['…'])" });
    validateRequest(o, INFERENCE_RULES);
    const f = this.family();
    const t = this.forTask(f, o, 'prediction');
    const chunk = f.values(inputs, t.ctx);
    const { outputs } = await runBatchesYielding(t.model, f, chunk.examples, { batchSize: t.batchSize, padId: t.padId, labelled: false, onBatch: o.onBatch });
    return chunk.rows(outputs) as R[];
  }

  /**
   * Predictions for inputs in files ('-' or none: standard input), a chunk at a time: .tsv/.csv/.jsonl
   * records, CoNLL for a tagger, SQuAD JSON for QA, else one text a line (TEXT<TAB>PAIR for pairs).
   */
  async *predictFiles(files: string[], o: PredictOptions & { onCut?: () => void; onTruncated?: (n: number) => void } = {}): AsyncGenerator<Record<string, unknown>[]> {
    validateRequest(o, INFERENCE_RULES);
    const f = this.family();
    const t = this.forTask(f, o, 'prediction');
    for await (const chunk of f.inputs(files, { ...t.ctx, onCut: o.onCut, onTruncated: o.onTruncated })) {
      const { outputs } = await runBatchesYielding(t.model, f, chunk.examples, { batchSize: t.batchSize, padId: t.padId, labelled: false, onBatch: o.onBatch });
      yield chunk.rows(outputs);
    }
  }

  /** Tokens per example for a maxLength option: as given (at most the model's positions), else what the model was fine-tuned with, else 128. */
  maxLength(given?: number): number {
    return maxLengthOfConfig(this.config, given);
  }

  /** What one input is called: text, sentence, question. */
  get unit(): string {
    return this.task ? familyByName(this.task).unit : 'text';
  }

  /** The model's loss and metrics on a labelled file, with the family's counts (truncated, skipped …). */
  async evaluate(file: string, o: EvaluateOptions = {}): Promise<Evaluation> {
    validateRequest(o, INFERENCE_RULES);
    const f = o.task ? familyByName(o.task) : this.family();
    const t = this.forTask(f, o, 'evaluation');
    const data = f.read(file, t.ctx, this.labels);
    const r = evaluate(t.model, f, data, { batchSize: t.batchSize, padId: t.padId });
    return { task: f.name, loss: r.loss, score: r.score, metric: f.metric(this.labels), metrics: r.metrics, counts: data.counts };
  }

  /** A sentence-transformers directory's recipe (modules.json), null for a plain one. */
  get sentenceEmbedding(): SentenceEmbedding | null {
    if (this.st === undefined) this.st = sentenceEmbedding(this.dir);
    return this.st;
  }

  /** One vector per input. */
  async embed(inputs: EmbedInput[], o: EmbedOptions = {}): Promise<Float32Array[]> {
    if (!Array.isArray(inputs)) throw new BertError(`embed takes an array of inputs, not ${inputs === null ? 'null' : typeof inputs}`, { where: 'inputs' });
    validateRequest(o, INFERENCE_RULES);
    const st = this.sentenceEmbedding;
    o = { ...o, maxLength: o.maxLength ?? st?.maxLength, normalize: o.normalize ?? st?.normalize };
    const pooling = this.pooling(o.pooling);
    const m = this.encoderFor(pooling);
    const out: Float32Array[] = [];
    for (const b of this.encodeBatches(m.tokenizer, inputs, o)) {
      for (const v of embedBatch(m.model, b.batch, pooling) as Float32Array[]) out.push(o.normalize ? unitLength(v) : v);
    }
    return out;
  }

  /** The pooling an embedding takes: as asked, else the sentence-transformers directory's, else cls. */
  pooling(asked?: Exclude<Pooling, 'tokens'>): Exclude<Pooling, 'tokens'> {
    return asked ?? this.sentenceEmbedding?.pooling ?? 'cls';
  }

  /** Tokens per embedded text when no option says: sentence_bert_config.json's max_seq_length, else 128 (as embed). */
  get embedLength(): number {
    return this.embedMaxLength(this.sentenceEmbedding?.maxLength);
  }

  /** embed's tokens per text: as given (at most the model's positions; past them refused), else 128. */
  private embedMaxLength(given?: number): number {
    return given !== undefined ? maxLengthOfConfig(this.config, given) : Math.min(DEFAULT_MAX_LENGTH, this.config.max_position_embeddings);
  }

  private encoderFor(pooling: Pooling) {
    return this.use('BertModel', (l) => {
      if (pooling === 'pooler' && l.initialized.some((n) => n.startsWith('bert.pooler.') || n.startsWith('pooler.'))) throw new BertError('the model has no trained pooler', { where: this.dir, hint: 'use pooling cls or mean' });
    });
  }

  /** The vectors of texts already encoded (ids with [CLS]/[SEP]), one forward pass, not normalized: the server's batches. */
  embedEncoded(xs: { ids: Int32Array; typeIds: Int32Array }[], pooling: Exclude<Pooling, 'tokens'>): Float32Array[] {
    const m = this.encoderFor(pooling);
    return embedBatch(m.model, padBatch(xs, m.tokenizer.vocab.special('[PAD]')), pooling) as Float32Array[];
  }

  /** Inputs given as values, encoded for the model's family, its weights not loaded: with `forward`, predict in two halves (the server batches between them). */
  encodeInputs(inputs: unknown[], o: PredictOptions & { onTruncated?: (n: number) => void } = {}): Chunk<unknown, unknown> {
    validateRequest(o, INFERENCE_RULES);
    const f = this.family();
    const ctx: FamilyContext = { tokenizer: this.tokenizer, maxLength: maxLengthOfConfig(this.config, o.maxLength), config: this.config, labels: this.labels, qa: o.qa, tag: o.tag, topK: o.topK, onTruncated: o.onTruncated };
    return f.values(inputs, ctx);
  }

  /** Tokens in an encoded example of the model's family (what a batch is padded to). */
  exampleLength(e: unknown): number {
    return this.family().length(e);
  }

  /** One forward pass over examples from encodeInputs: each one's outputs, for the chunk's rows. */
  forward(examples: unknown[]): unknown[] {
    const f = this.family();
    const t = this.forTask(f, {}, 'prediction');
    return runBatch(t.model, f, examples, t.padId, false).outputs;
  }

  /** Loads (maps) the weights a use needs now, with its checks, instead of at the first call. */
  prepare(use: 'predict' | 'embed' | 'fill-mask', pooling?: Exclude<Pooling, 'tokens'>): InferenceDtype {
    if (use === 'predict') return this.forTask(this.family(), {}, 'prediction').dtype;
    if (use === 'embed') return this.encoderFor(this.pooling(pooling)).dtype;
    return this.maskedLm().dtype;
  }

  /** Every token's vector, [CLS] and [SEP] included, with the tokens. */
  async embedTokens(inputs: EmbedInput[], o: Omit<EmbedOptions, 'pooling'> = {}): Promise<{ tokens: string[]; embeddings: Float32Array[] }[]> {
    const m = this.use('BertModel', () => {});
    o = { ...o, maxLength: o.maxLength ?? this.sentenceEmbedding?.maxLength };
    const out: { tokens: string[]; embeddings: Float32Array[] }[] = [];
    for (const b of this.encodeBatches(m.tokenizer, inputs, o)) {
      (embedBatch(m.model, b.batch, 'tokens') as Float32Array[][]).forEach((vs, i) => out.push({ tokens: b.tokens[i], embeddings: o.normalize ? vs.map(unitLength) : vs }));
    }
    return out;
  }

  private *encodeBatches(tok: Tokenizer, inputs: EmbedInput[], o: { maxLength?: number; batchSize?: number }) {
    // a --max-length past the model's positions is refused at the first batch, whatever its texts' lengths
    const maxLength = this.embedMaxLength(o.maxLength);
    const size = o.batchSize ?? DEFAULTS.inferenceBatchSize;
    for (let i = 0; i < inputs.length; i += size) {
      const encs = inputs.slice(i, i + size).map((x) => (typeof x === 'string' ? tok.encode(x, null, { maxLength }) : tok.encode(x[0], x[1], { maxLength })));
      yield { batch: padBatch(encs.map((e) => ({ ids: Int32Array.from(e.ids), typeIds: Int32Array.from(e.typeIds) })), tok.vocab.special('[PAD]')), tokens: encs.map((e) => e.tokens) };
    }
  }

  /** For each [MASK] of the text, in order, the k most likely tokens (HF's fill-mask fields). */
  async fillMask(text: string, o: { topK?: number } = {}): Promise<FillCandidate[][]> {
    if (typeof text !== 'string') throw new BertError(`fillMask takes a text, not ${text === null ? 'null' : typeof text}`, { where: 'text' });
    validateRequest(o, INFERENCE_RULES);
    const m = this.maskedLm();
    return fillMask(m.model, m.tokenizer, text, o.topK ?? DEFAULTS.topK);
  }

  private maskedLm() {
    return this.use('BertForMaskedLM', (l) => {
      if (l.initialized.some((n) => n.startsWith('cls.predictions'))) throw new BertError('the model has no MLM head (cls.predictions.*)', { where: this.dir, hint: 'use a pretrained model, not a fine-tuned classifier' });
    });
  }
}
