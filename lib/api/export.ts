// A model directory exported for runtimes that read ONNX: `exportOnnx(dir, out)` writes out/ as
// transformers.js and HF's ONNX exports lay it out — onnx/model.onnx (lib/io/onnx.ts) beside
// config.json, tokenizer.json, tokenizer_config.json, vocab.txt and the safetensors weights — so
// `pipeline(task, out)` in transformers.js, or ONNX Runtime in any language, serves a model trained
// here. Only trained weights are exported: a head the directory lacks is refused, not made up.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { loadModelDir, modelDirConfig, saveModelDir } from '../model-dir/model-dir.js';
import { BertError, UsageError } from '../errors.js';
import { prepareOutDir } from '../train/out-dir.js';
import { ARCHITECTURES, architectureRow, type Architecture } from '../model/heads/index.js';
import { familyOfConfig } from '../tasks/registry.js';

export interface ExportResult {
  out: string;
  /** the model class exported, and the graph's output names */
  arch: Architecture;
  outputs: string[];
  /** the graphs written under onnx/ and their sizes: model.onnx, and with int8 model_quantized.onnx */
  files: { path: string; bytes: number }[];
  bytes: number;
}

/** The class a directory exports as: its fine-tuned head, else the MLM head of a pretrained model, else the bare encoder. */
function exportArch(dir: string): Architecture {
  const cfg = modelDirConfig(dir);
  const declared = cfg.architectures?.[0];
  if (typeof cfg.bert_cli_task === 'string') return familyOfConfig(cfg).arch;
  if (!declared || !(ARCHITECTURES as string[]).includes(declared)) return 'BertModel';
  return architectureRow(declared as Architecture).exportAs ?? (declared as Architecture);
}

/**
 * `encoder`: the bare encoder (last_hidden_state, pooler_output) whatever head the directory has —
 * feature extraction. `dtype: 'int8'`: onnx/model_quantized.onnx too (the encoder's linear layers
 * as ONNX Runtime's dynamic quantization writes them), which transformers.js loads for `dtype: 'q8'`.
 */
export async function exportOnnx(dir: string, out: string, o: { encoder?: boolean; dtype?: 'fp32' | 'int8'; overwrite?: boolean } = {}): Promise<ExportResult> {
  // loaded on use: importing 'bert-cli' does not load the protobuf library
  const { exportOnnx: onnxBytes, onnxOutputs } = await import('../io/onnx.js');
  const arch = o.encoder ? 'BertModel' : exportArch(dir);
  const loaded = loadModelDir(dir, { arch });
  const outputs = onnxOutputs(loaded.model).map((x) => x.name);
  if (loaded.initialized.length) throw new BertError(`the checkpoint lacks ${loaded.initialized[0]}, which a ${arch} export needs`, { where: join(dir, 'model.safetensors') });
  if (!loaded.tokenizer) throw new BertError('model directory has no tokenizer (tokenizer.json or vocab.txt)', { where: dir });
  if (resolve(out) === resolve(dir)) throw new UsageError('--onnx is the model directory itself: give another directory', { where: '--onnx' });
  const graphs: [string, Uint8Array][] = [['model.onnx', onnxBytes(loaded.model)]];
  if (o.dtype === 'int8') graphs.push(['model_quantized.onnx', onnxBytes(loaded.model, { int8: true })]);
  // one writer, as for training: the directory's lock, and another model there refused unless --overwrite
  const release = prepareOutDir(out, { overwrite: o.overwrite, flag: '--onnx' });
  try {
    saveModelDir(out, loaded.model, loaded.tokenizer);
    mkdirSync(join(out, 'onnx'), { recursive: true });
    for (const [name, bytes] of graphs) writeFileAtomic(join(out, 'onnx', name), [bytes]);
  } finally {
    release();
  }
  const files = graphs.map(([name, bytes]) => ({ path: join(out, 'onnx', name), bytes: bytes.length }));
  return { out, arch, outputs, files, bytes: graphs[0][1].length };
}
