// The server's engine thread: holds the served models (their weights mapped once) and runs one
// forward pass per message, so the main thread's event loop parses, tokenizes and writes while a
// batch computes. Messages and answers are engine.ts's.
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel, type Model } from '../api/model.js';
import type { EngineJob, EngineReply, EngineSetup } from './engine.js';

const setup = workerData as EngineSetup;
const models = new Map<string, Model>();
const post = (m: EngineReply) => parentPort!.postMessage(m);
const failure = (e: unknown) => {
  const x = e as Error & { where?: string; hint?: string };
  return { name: x?.name ?? 'Error', message: x?.message ?? String(e), where: x?.where, hint: x?.hint };
};

try {
  const loaded = [];
  for (const s of setup.models) {
    const notices: string[] = [];
    const m = await loadModel(s.dir, { dtype: setup.dtype, threads: setup.threads, onNotice: (l) => notices.push(l) });
    // the weights of the model's own use, mapped and checked before the port opens
    const dtype = m.prepare(m.task ? 'predict' : 'embed');
    models.set(s.name, m);
    loaded.push({ name: s.name, dtype, notices });
  }
  post({ t: 'ready', models: loaded });
} catch (e) {
  post({ t: 'failed', error: failure(e) });
}

parentPort!.on('message', (job: EngineJob) => {
  try {
    const m = models.get(job.model)!;
    let result: unknown;
    if (job.op === 'embed') result = m.embedEncoded(job.items as { ids: Int32Array; typeIds: Int32Array }[], job.pooling!);
    else if (job.op === 'predict') result = m.forward(job.items!);
    else if (job.op === 'prepare') result = m.prepare(job.use!, job.pooling);
    else result = m.fillMask(job.text!, { topK: job.topK });
    Promise.resolve(result).then((r) => post({ t: 'done', id: job.id, result: r }), (e) => post({ t: 'error', id: job.id, error: failure(e) }));
  } catch (e) {
    post({ t: 'error', id: job.id, error: failure(e) });
  }
});
