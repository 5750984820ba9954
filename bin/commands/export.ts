// bert-cli export: a model directory as ONNX, for ONNX Runtime and transformers.js.
import { Command, InvalidArgumentError } from 'commander';
import { exportOnnx } from '../../lib/api/export.js';

function parseExportDtype(value: string): 'fp32' | 'int8' {
  if (value !== 'fp32' && value !== 'int8') throw new InvalidArgumentError(`expected fp32 or int8, got '${value}'`);
  return value;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('export a model for ONNX runtimes (transformers.js, ONNX Runtime): DIR/onnx/model.onnx beside its config and tokenizer')
    .requiredOption('--model <dir>', 'the model directory')
    .requiredOption('--onnx <dir>', 'the directory to write (onnx/model.onnx, config.json, tokenizer.json, …)')
    .option('--encoder', 'the bare encoder (last_hidden_state, pooler_output) whatever the head: for feature-extraction and sentence embeddings')
    .option('--dtype <type>', 'fp32, or int8: onnx/model_quantized.onnx too (the encoder\'s linear layers dynamically quantized, as ONNX Runtime\'s quantize_dynamic writes them; transformers.js dtype q8)', parseExportDtype, 'fp32')
    .option('--overwrite', 'replace a model the --onnx directory already holds (else refused)')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', `
The graph (opset 17) takes input_ids, attention_mask and token_type_ids [batch, sequence] (int64, both
axes dynamic) and gives the head's outputs under HF's names: logits (sequence and token classification,
masked LM), start_logits and end_logits (QA), last_hidden_state and pooler_output (a bare encoder).

Example:
  $ bert-cli export --model out/spam --onnx out/spam-onnx
  then in transformers.js: await pipeline('text-classification', 'spam-onnx') with env.localModelPath = 'out/'
`)
    .action(async (f: { model: string; onnx: string; encoder?: boolean; dtype: 'fp32' | 'int8'; overwrite?: boolean; json?: boolean }) => {
      const r = await exportOnnx(f.model, f.onnx, { encoder: f.encoder, dtype: f.dtype, overwrite: f.overwrite });
      const sizes = r.files.map((x) => `${x.path} (${(x.bytes / 2 ** 20).toFixed(1)} MiB)`).join(', ');
      process.stdout.write(f.json ? JSON.stringify(r) + '\n' : `exported ${r.arch} to ${sizes}; outputs ${r.outputs.join(', ')}\n`);
    });
}
