// The worker side of bin/job.ts: runs one job with a progress sink and a stop flag that talk to the
// main thread, and sends back its result or its error.
import { parentPort, workerData } from 'node:worker_threads';
import type { JobContext, JobMessage, JobName } from './job.js';
import { endCommunicator } from '../lib/train/distributed.js';

export type Job = (args: never, ctx: JobContext) => Promise<{ stopped: boolean }>;

const JOBS: Record<JobName, () => Promise<Job>> = {
  pretrain: async () => (await import('./commands/pretrain.js')).pretrainJob as Job,
  finetune: async () => (await import('./commands/finetune.js')).finetuneJob as Job,
  quickstart: async () => (await import('./commands/quickstart.js')).quickstartJob as Job,
};

const { name, args, stop } = workerData as { name: JobName; args: never; stop: Int32Array };
const send = (m: JobMessage) => parentPort!.postMessage(m);
const ctx: JobContext = {
  progress: {
    update: (text, force) => send({ t: 'update', text, force }),
    log: (text) => send({ t: 'log', text }),
    warn: (text) => send({ t: 'warn', text }),
    done: (summary, ok) => send({ t: 'done', summary, ok }),
  },
  stopRequested: () => Atomics.load(stop, 0) !== 0,
  print: (text) => send({ t: 'stdout', text }),
};

try {
  const job = await JOBS[name]();
  const r = await job(args, ctx);
  endCommunicator(); // under mpirun: MPI_Finalize, after the run's last collective
  send({ t: 'result', stopped: r.stopped });
} catch (err) {
  const e = err as Error & { where?: string; hint?: string };
  send({ t: 'error', name: e?.name ?? 'Error', message: e?.message ?? String(err), where: e?.where, hint: e?.hint, stack: e?.stack });
}
