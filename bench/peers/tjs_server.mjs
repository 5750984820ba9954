// The peer of `bert-cli serve`: what a Node team writes today — a fastify server whose
// /v1/embeddings calls transformers.js's feature-extraction pipeline once per request (no batching
// across requests), pooling and normalizing as bert-cli's route does (cls, unit length), answering
// in OpenAI's shape. No network: remote models are switched off.
//
//   node bench/peers/tjs_server.mjs MODEL_DIR PORT THREADS DTYPE(fp32|q8)
import { basename, dirname } from 'node:path';
import Fastify from 'fastify';
import { env, pipeline } from '@huggingface/transformers';

const [dir, port, threads, dtype = 'fp32'] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = dirname(dir) + '/';
const extract = await pipeline('feature-extraction', basename(dir), {
  dtype,
  session_options: { intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all' },
});
const app = Fastify({ bodyLimit: 2 * 1024 * 1024 });
app.post('/v1/embeddings', async (req) => {
  const input = Array.isArray(req.body.input) ? req.body.input : [req.body.input];
  const out = await extract(input, { pooling: 'cls', normalize: true });
  const vecs = out.tolist();
  return { object: 'list', data: vecs.map((embedding, index) => ({ object: 'embedding', index, embedding })), model: basename(dir), usage: { prompt_tokens: 0, total_tokens: 0 } };
});
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stderr.write(`ready on ${port}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
