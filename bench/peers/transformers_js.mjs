// The transformers.js peer of `bert-cli predict`: its text-classification pipeline over a local
// model directory (config.json, tokenizer.json, onnx/model.onnx exported by export_onnx.py), as a
// Node user would run it — lines in, one JSON line out per text, batches of --batch-size. No
// network: remote models are switched off. Run by bench/predict.ts as a child process, timed and
// its peak RSS sampled from outside, like the bert-cli run it stands beside.
//
//   node bench/peers/transformers_js.mjs MODEL_DIR INPUT.txt OUTPUT.jsonl BATCH THREADS [DTYPE]
// DTYPE: fp32 (onnx/model.onnx, default) or q8 (onnx/model_quantized.onnx)
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';

const [dir, input, output, batch, threads, dtype = 'fp32'] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = dirname(dir) + '/';
const classify = await pipeline('text-classification', basename(dir), {
  dtype,
  session_options: { intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all' },
});
const texts = readFileSync(input, 'utf8').split('\n').filter((l) => l.length > 0);
const out = [];
for (let i = 0; i < texts.length; i += Number(batch)) {
  const res = await classify(texts.slice(i, i + Number(batch)), { top_k: 1 });
  for (const r of res) out.push(JSON.stringify(Array.isArray(r) ? r[0] : r));
}
writeFileSync(output, out.join('\n') + '\n');
