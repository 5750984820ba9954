// Data-parallel training over MPI: the ranks `mpirun -np N bert-cli pretrain …` starts, and what they
// share. Every rank holds the whole model and takes its slice of each global batch; its gradients
// are summed with every other rank's (MPI_Allreduce, in float32, in buckets started as each layer's
// backward finishes) before the one AdamW step that every rank applies identically, so the weights
// never part. Rank 0 alone writes (checkpoints, metrics, the report). Outside mpirun, or with one
// rank, the communicator is a single process's and costs nothing: the same loops run as before.
//
// The collectives live in a second addon, build/Release/bert_mpi.node (native/mpi), built where an
// MPI library is found and loaded only here, in a process mpirun started.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import { BertError } from '../errors.js';
import type { BertForTask } from '../model/bert.js';
import { native, packageRoot, packageVersion } from '../native.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

/** What a training loop needs of the other ranks. */
export interface Communicator {
  readonly rank: number;
  readonly size: number;
  /** ranks on this machine, and this one's place among them (threads per rank: cores ÷ local ranks) */
  readonly localRank: number;
  readonly localSize: number;
  /** the MPI library, e.g. "Open MPI v4.1.4"; null for a single process */
  readonly library: string | null;
  /** the sum over ranks, in place, now */
  sum(values: Float32Array | Float64Array): void;
  /** starts the sum of `values` in place and returns at once; finish() waits for every one started */
  sumStart(values: Float32Array): void;
  finish(): void;
  /** rank 0's value of `x` (anything v8 can serialize), on every rank */
  fromRankZero<T>(x: T): T;
  /** every rank's `x`, in rank order */
  gather<T>(x: T): T[];
  /** MPI's orderly end, after the last collective */
  end(): void;
}

/** One process: every collective is the identity. */
export const SINGLE_PROCESS: Communicator = {
  rank: 0, size: 1, localRank: 0, localSize: 1, library: null,
  sum: () => {}, sumStart: () => {}, finish: () => {},
  fromRankZero: (x) => x, gather: (x) => [x], end: () => {},
};

interface MpiAddon {
  init(timeoutSeconds: number): { rank: number; size: number; localRank: number; localSize: number; library: string };
  allreduce(values: Float32Array | Float64Array): void;
  allreduceStart(values: Float32Array): void;
  wait(): void;
  broadcast(bytes: Uint8Array, root: number): void;
  finalize(): void;
}

/**
 * The rank and world size the launcher gave this process (Open MPI's, or a PMI launcher's: MPICH,
 * Slurm), before MPI starts; null when no launcher started it.
 */
export function launchedRank(env: NodeJS.ProcessEnv = process.env): { rank: number; size: number } | null {
  const size = Number(env.OMPI_COMM_WORLD_SIZE ?? env.PMI_SIZE ?? env.PMIX_SIZE ?? NaN);
  const rank = Number(env.OMPI_COMM_WORLD_RANK ?? env.PMI_RANK ?? env.PMIX_RANK ?? NaN);
  return Number.isInteger(size) && Number.isInteger(rank) && size >= 1 ? { rank, size } : null;
}

/** Where bert_mpi.node is: BERT_MPI_PATH, else beside the engine's addon (BERT_NATIVE_PATH) or in build/Release. */
export function mpiAddonPath(): string {
  if (process.env.BERT_MPI_PATH) return process.env.BERT_MPI_PATH;
  const engine = process.env.BERT_NATIVE_PATH;
  return engine ? join(dirname(engine), 'bert_mpi.node') : join(packageRoot(), 'build', 'Release', 'bert_mpi.node');
}

/** Seconds a rank waits for the others in one collective before it ends the job (BERT_MPI_TIMEOUT). */
export const DEFAULT_TIMEOUT_SECONDS = 600;

let world: Communicator | null = null;

/**
 * This process's communicator: MPI's when mpirun started it with more than one rank, else a single
 * process's. Started once; `timeoutSeconds` (default BERT_MPI_TIMEOUT or 600) bounds every wait.
 */
export function communicator(timeoutSeconds?: number): Communicator {
  if (world) return world;
  const launched = launchedRank();
  if (!launched || launched.size === 1) return (world = SINGLE_PROCESS);
  const path = mpiAddonPath();
  const where = `rank ${launched.rank} of ${launched.size}`;
  if (!existsSync(path)) {
    throw new BertError(`${where}: this build of bert-cli has no MPI support (${path} is missing), so mpirun's ranks cannot work together`, {
      hint: 'install an MPI library (Debian: apt-get install libopenmpi-dev) and rebuild: npm rebuild bert-cli (in a clone: npm run build:native)',
    });
  }
  const timeout = timeoutSeconds ?? Number(process.env.BERT_MPI_TIMEOUT ?? DEFAULT_TIMEOUT_SECONDS);
  if (!(timeout > 0)) throw new BertError(`BERT_MPI_TIMEOUT must be a positive number of seconds, not ${process.env.BERT_MPI_TIMEOUT}`);
  const m = { exports: {} as MpiAddon };
  try {
    // RTLD_GLOBAL: Open MPI's plugins (loaded by MPI_Init) resolve libmpi's symbols through it
    process.dlopen(m, path, constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL);
  } catch (err) {
    throw new BertError(`${where}: the MPI addon does not load (${(err as Error).message.split('\n')[0]})`, { where: path, hint: 'rebuild it: npm rebuild bert-cli' });
  }
  const mpi = m.exports;
  const info = call(where, () => mpi.init(timeout));
  world = mpiCommunicator(mpi, info);
  // a library caller's process that ends normally ends MPI too (the CLI's job worker ends it itself,
  // after a job that succeeded: a failed one must not wait in MPI_Finalize for ranks that are gone)
  if (isMainThread) process.once('beforeExit', () => world?.end());
  return world;
}

/** A collective failed (a rank died, a timeout): MPI is not ended in order after that (it would wait for the dead). */
let broken = false;

/** A collective's failure as one line naming the rank. */
function call<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    broken = true;
    throw new BertError(`${where}: ${(err as Error).message}`, { hint: 'the last checkpoint resumes the run (--resume), on any number of ranks' });
  }
}

function mpiCommunicator(mpi: MpiAddon, info: ReturnType<MpiAddon['init']>): Communicator {
  const where = `rank ${info.rank} of ${info.size}`;
  let ended = false;
  const bytesFrom = (root: number, mine: Uint8Array | null): Uint8Array => {
    const len = new Float64Array([mine ? mine.length : 0]);
    call(where, () => mpi.broadcast(new Uint8Array(len.buffer), root));
    const buf = mine && info.rank === root ? mine : new Uint8Array(len[0]);
    if (buf.length) call(where, () => mpi.broadcast(buf, root));
    return buf;
  };
  return {
    rank: info.rank, size: info.size, localRank: info.localRank, localSize: info.localSize, library: info.library,
    sum: (values) => call(where, () => mpi.allreduce(values)),
    sumStart: (values) => call(where, () => mpi.allreduceStart(values)),
    finish: () => call(where, () => mpi.wait()),
    fromRankZero: <T>(x: T): T => deserialize(bytesFrom(0, info.rank === 0 ? serialize(x) : null)) as T,
    gather: <T>(x: T): T[] => {
      const mine = serialize(x);
      return Array.from({ length: info.size }, (_, r) => deserialize(bytesFrom(r, r === info.rank ? mine : null)) as T);
    },
    end: () => {
      if (ended || broken) return;
      ended = true;
      call(where, () => mpi.finalize());
    },
  };
}

/**
 * The start of a run on every rank at once: each has done its own checks (`failure`: its error, or
 * null) and says what it will run (`settings`: the package version, the options, the config, the
 * data); a rank that failed or whose settings differ from rank 0's ends the job on every rank, each
 * with its one line, before a step is taken.
 */
export function agreeToStart(comm: Communicator, failure: unknown, settings: Record<string, unknown>): void {
  if (comm.size === 1) {
    if (failure) throw failure;
    return;
  }
  const where = `rank ${comm.rank} of ${comm.size}`;
  const failed = new Float64Array([failure ? 1 : 0]);
  comm.sum(failed);
  if (failure) throw failure;
  if (failed[0] > 0) throw new BertError(`${where}: ${failed[0] === 1 ? 'another rank' : `${failed[0]} other ranks`} could not start (its line says why)`);
  const ours = JSON.stringify(settings);
  const theirs = comm.fromRankZero(ours);
  const differs = new Float64Array([ours === theirs ? 0 : 1]);
  comm.sum(differs);
  if (ours !== theirs) {
    const a = JSON.parse(theirs) as Record<string, unknown>;
    const key = Object.keys({ ...a, ...settings }).find((k) => JSON.stringify(a[k]) !== JSON.stringify(settings[k]));
    throw new BertError(`${where}: its ${key ?? 'settings'} ${key && !key.endsWith('s') ? 'differs' : 'differ'} from rank 0's (${JSON.stringify(settings[key!] ?? null).slice(0, 80)} here, ${JSON.stringify(a[key!] ?? null).slice(0, 80)} there): every rank must run the same bert-cli on the same settings and data`);
  }
  if (differs[0] > 0) throw new BertError(`${where}: ${differs[0] === 1 ? 'a rank runs' : `${differs[0]} ranks run`} other settings than rank 0 (its line says which)`);
}

/** [begin, end) of the part of n items that rank `rank` of `size` takes: contiguous, in rank order, sizes differing by at most one. */
export function share(n: number, rank: number, size: number): [number, number] {
  const base = Math.floor(n / size), extra = n % size;
  const begin = rank * base + Math.min(rank, extra);
  return [begin, begin + base + (rank < extra ? 1 : 0)];
}

/**
 * The gradient sum of a step across ranks, in buckets: each range of the arena is started as soon as
 * the backward pass has finished it (Encoder.gradientsDone), so the sum of the top layers runs while
 * the lower ones compute; `finish` waits for the last. The ranges come in the same order on every
 * rank (the heads, the layers from the top, the embeddings), which fixes the order of the reduction.
 */
export class GradientSum {
  private started = 0;
  constructor(private readonly comm: Communicator, private readonly grads: () => Float32Array, private readonly ranges: () => [number, number][]) {}

  /** The hook for Encoder.gradientsDone during the step's last backward pass (null alone: nothing to sum). */
  hook(): ((begin: number, end: number) => void) | null {
    if (this.comm.size === 1) return null;
    return (b, e) => {
      this.comm.sumStart(this.grads().subarray(b, e));
      this.started++;
    };
  }

  /** Waits for the sum of every range; a rank that ran no backward pass (no examples) starts them all now. */
  finish(): void {
    if (this.comm.size === 1) return;
    if (this.started === 0) for (const [b, e] of this.ranges()) this.comm.sumStart(this.grads().subarray(b, e));
    this.started = 0;
    this.comm.finish();
  }
}

/** This rank's part of a count over every rank (1 alone, or where the count is 0 everywhere). */
export function shareOf(local: number, global: number): number {
  return global > 0 ? local / global : 1;
}

/** FNV-1a over a string: a short fingerprint (of a vocabulary) for the start-up agreement. */
export function fingerprint(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Runs a loop's set-up on every rank: a rank that fails before the loop reaches agreeToStart still
 * takes part in its first collective, so that the others end at once instead of waiting.
 */
export async function startTogether<R>(comm: Communicator, body: (agree: (settings: () => Record<string, unknown>) => void) => Promise<R>): Promise<R> {
  let agreed = comm.size === 1;
  try {
    // the settings are made only where there are ranks to compare them with (their hashes read every file)
    return await body((settings) => {
      if (comm.size > 1) agreeToStart(comm, null, settings());
      agreed = true;
    });
  } catch (err) {
    if (!agreed) agreeToStart(comm, err, {});
    throw err;
  }
}

/** Kernel threads for a rank when --threads does not say: the machine's cores ÷ the ranks on it. */
export function threadsPerRank(comm: Communicator): number | undefined {
  return comm.localSize > 1 ? Math.max(1, Math.floor(availableParallelism() / comm.localSize)) : undefined;
}

/** MPI's orderly end for a process whose communicator was started (the CLI calls it once its job is done). */
export function endCommunicator(): void {
  if (world && world.size > 1) world.end();
}

/** The sums over every rank of a few numbers (the numbers themselves alone). */
export function sumAcross(comm: Communicator, values: number[]): number[] {
  if (comm.size === 1) return values;
  const t = Float64Array.from(values);
  comm.sum(t);
  return Array.from(t);
}

/**
 * Each file's name, size and SHA-256 of its contents, for the start-up agreement of a data-parallel
 * run: two hosts' corpora or training files of the same size but other contents (a label flipped)
 * are told apart. Read in 1 MiB blocks: about a second per GB here, paid once at the start and only
 * under mpirun (see startTogether).
 */
export function fileStamps(files: string[] | undefined): [string, number, string][] {
  return (files ?? []).map((f) => {
    const h = createHash('sha256'), buf = Buffer.allocUnsafe(1 << 20), fd = openSync(f, 'r');
    try {
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    return [f, statSync(f).size, h.digest('hex').slice(0, 16)];
  });
}

/** The SHA-256 of every weight every rank starts from (440 MB of BERT-base: about 0.3 s). */
export function weightsStamp(params: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(params.buffer, params.byteOffset, params.byteLength)).digest('hex').slice(0, 16);
}

/** What every training loop's ranks must share, beside the loop's own options and position. */
export function runSettings(model: BertForTask, tok: Tokenizer, dtype: string, own: Record<string, unknown>): Record<string, unknown> {
  return { version: packageVersion(), isa: native.isa(), dtype, config: model.cfg, vocab: fingerprint(tok.vocab.tokens.join('\n')), weights: weightsStamp(model.store.params), ...own };
}
