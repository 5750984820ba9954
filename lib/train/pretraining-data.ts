// Pretraining instances as Google's create_pretraining_data.py makes them, and the masking:
//   · segments are filled with whole sentences up to the target length (max − 3, or with
//     probability short_seq_prob a random shorter one); A takes a random number of them;
//   · NSP: with probability ½ (or when the chunk has one sentence) B comes from a random other
//     document (NotNext = 1), else it is the rest of the chunk (IsNext = 0); unused sentences go back.
//     Unlike Google's script, the other document is one of the same file where there is one, so
//     that on a corpus of several files NotNext is not told by a change of corpus;
//   · the longer side is truncated one token at a time, at random from the front or the back;
//   · masking: 15% of the tokens (rounded, at least 1, at most max_predictions_per_seq), never
//     [CLS]/[SEP]; each chosen one becomes [MASK] 80%, a random vocabulary token 10%, itself 10%;
//     with whole-word masking a word's ## pieces are chosen together;
//   · --no-nsp: one segment per instance, packed with whole sentences to the full length.
// Documents stream in shards (a few million tokens each): instances are made and shuffled within
// a shard, so memory stays bounded on corpora larger than RAM. Everything is seeded by (seed,
// epoch, shard): a resumed run regenerates exactly the same instances and masks.
import { DEFAULTS } from '../defaults.js';
import { mixSeed, SEED_STREAM, Random } from '../rng.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { readSourcedDocuments } from '../data/corpus.js';

export interface PretrainingOptions {
  maxLength: number;
  shortSeqProb: number;
  maskProb: number;
  maxPredictions: number;
  wholeWordMask: boolean;
  nsp: boolean;
  /** static masks: this many fixed maskings, cycled by epoch; 0: a new mask every epoch */
  dupeFactor: number;
}

const P = DEFAULTS.pretrain;
export const DEFAULT_PRETRAINING: PretrainingOptions = {
  maxLength: P.maxLength, shortSeqProb: P.shortSeqProb, maskProb: P.maskProb, maxPredictions: P.maxPredictions, wholeWordMask: false, nsp: true, dupeFactor: P.dupeFactor,
};

/** An unmasked instance: [CLS] A [SEP] (B [SEP]) ids and segment ids. */
export interface Instance {
  ids: Int32Array;
  typeIds: Uint8Array;
  /** 1 NotNext (B is random), 0 IsNext; −100 without NSP */
  nspLabel: number;
}

export interface SpecialIds {
  cls: number;
  sep: number;
  mask: number;
  vocabSize: number;
}

function concat(segs: Int32Array[]): number[] {
  const out: number[] = [];
  for (const s of segs) for (const v of s) out.push(v);
  return out;
}

function truncatePair(a: number[], b: number[], max: number, rng: Random): void {
  while (a.length + b.length > max) {
    const t = a.length > b.length ? a : b;
    if (rng.random() < 0.5) t.shift();
    else t.pop();
  }
}

function build(a: number[], b: number[] | null, sp: SpecialIds, nspLabel: number): Instance {
  const n = a.length + (b ? b.length + 3 : 2);
  const ids = new Int32Array(n), typeIds = new Uint8Array(n);
  let k = 0;
  ids[k++] = sp.cls;
  for (const v of a) ids[k++] = v;
  ids[k++] = sp.sep;
  if (b) {
    for (const v of b) { typeIds[k] = 1; ids[k++] = v; }
    typeIds[k] = 1;
    ids[k++] = sp.sep;
  }
  return { ids, typeIds, nspLabel };
}

/**
 * Instances from one document (sentences as id arrays), as create_instances_from_document. A random
 * B comes from `pool` (indices into docs; default all of them): pretrainingShards passes the
 * documents of d's own file, so that on a mixed corpus NotNext cannot be told by a change of corpus.
 */
export function instancesFromDocument(docs: Int32Array[][], d: number, o: PretrainingOptions, sp: SpecialIds, rng: Random, pool?: number[]): Instance[] {
  const doc = docs[d];
  const out: Instance[] = [];
  const maxTokens = o.maxLength - (o.nsp ? 3 : 2);
  if (maxTokens < 2) return out;
  let target = maxTokens;
  if (rng.random() < o.shortSeqProb) target = rng.randint(2, maxTokens);
  let chunk: Int32Array[] = [];
  let length = 0;
  for (let i = 0; i < doc.length; i++) {
    chunk.push(doc[i]);
    length += doc[i].length;
    if (i === doc.length - 1 || length >= target) {
      if (chunk.length && o.nsp) {
        const aEnd = chunk.length >= 2 ? rng.randint(1, chunk.length - 1) : 1;
        const a = concat(chunk.slice(0, aEnd));
        let b: number[] = [];
        let isRandom = 0;
        if (chunk.length === 1 || rng.random() < 0.5) {
          isRandom = 1;
          const targetB = target - a.length;
          let rd = d;
          const n = pool ? pool.length : docs.length;
          for (let t = 0; t < 10 && n > 1; t++) {
            rd = pool ? pool[rng.randint(0, n - 1)] : rng.randint(0, n - 1);
            if (rd !== d) break;
          }
          const other = docs[rd];
          for (let j = rng.randint(0, other.length - 1); j < other.length; j++) {
            for (const v of other[j]) b.push(v);
            if (b.length >= targetB) break;
          }
          i -= chunk.length - aEnd; // put the unused sentences back
        } else {
          b = concat(chunk.slice(aEnd));
        }
        truncatePair(a, b, maxTokens, rng);
        if (a.length >= 1 && b.length >= 1) out.push(build(a, b, sp, isRandom));
      } else if (chunk.length) {
        const a = concat(chunk).slice(0, maxTokens);
        if (a.length >= 1) out.push(build(a, null, sp, -100));
      }
      chunk = [];
      length = 0;
    }
  }
  return out;
}

export interface Masked {
  inputIds: Int32Array;
  /** the original id at masked positions, −100 elsewhere */
  labels: Int32Array;
}

/**
 * Masks an instance as create_masked_lm_predictions: candidates are every position but [CLS] and
 * [SEP] (words as units with whole-word masking), shuffled; up to round(n · maskProb) are taken.
 * `isContinuation(id)` tells a ## piece.
 */
export function maskInstance(inst: Instance, o: PretrainingOptions, sp: SpecialIds, rng: Random, isContinuation: (id: number) => boolean): Masked {
  const n = inst.ids.length;
  const cands: number[][] = [];
  for (let i = 0; i < n; i++) {
    const id = inst.ids[i];
    if (id === sp.cls || id === sp.sep) continue;
    if (o.wholeWordMask && cands.length && isContinuation(id)) cands[cands.length - 1].push(i);
    else cands.push([i]);
  }
  rng.shuffle(cands);
  const inputIds = Int32Array.from(inst.ids);
  const labels = new Int32Array(n).fill(-100);
  const want = Math.min(o.maxPredictions, Math.max(1, Math.round(n * o.maskProb)));
  let count = 0;
  for (const set of cands) {
    if (count >= want) break;
    if (count + set.length > want) continue;
    for (const i of set) {
      labels[i] = inst.ids[i];
      if (rng.random() < 0.8) inputIds[i] = sp.mask;
      else if (rng.random() >= 0.5) inputIds[i] = rng.randint(0, sp.vocabSize - 1);
      count++;
    }
  }
  return { inputIds, labels };
}

/** Sentences → ids; empty sentences (after tokenization) are dropped. */
export function tokenizeDocument(tok: Tokenizer, lines: string[]): Int32Array[] {
  const out: Int32Array[] = [];
  for (const l of lines) {
    const ids = tok.pieces(l).ids;
    if (ids.length) out.push(Int32Array.from(ids));
  }
  return out;
}

/** Tokens of corpus text turned into instances at once (one shard): memory is bounded by it. */
export const DEFAULT_SHARD_TOKENS = 4_000_000;

/**
 * The corpus as shards of shuffled instances: every document is tokenized, documents are grouped
 * until a shard holds `shardTokens` tokens, and each shard's instances are made and shuffled with
 * an RNG seeded by (seed, epoch, shard).
 */
export async function* pretrainingShards(files: string[], tok: Tokenizer, o: PretrainingOptions, sp: SpecialIds, seed: number, epoch: number, shardTokens = DEFAULT_SHARD_TOKENS): AsyncGenerator<Instance[]> {
  let docs: Int32Array[][] = [];
  let sources: number[] = [];
  let tokens = 0;
  let shard = 0;
  const flush = () => {
    const rng = new Random(mixSeed(seed, epoch, shard++, SEED_STREAM.instances));
    // NotNext's B from the same file when it has another document in the shard, else from any
    const pools = new Map<number, number[]>();
    sources.forEach((s, d) => (pools.get(s) ?? pools.set(s, []).get(s)!).push(d));
    const inst: Instance[] = [];
    for (let d = 0; d < docs.length; d++) {
      const own = pools.get(sources[d])!;
      for (const x of instancesFromDocument(docs, d, o, sp, rng, own.length > 1 ? own : undefined)) inst.push(x);
    }
    rng.shuffle(inst);
    docs = [];
    sources = [];
    tokens = 0;
    return inst;
  };
  for await (const { lines, source } of readSourcedDocuments(files)) {
    const doc = tokenizeDocument(tok, lines);
    if (!doc.length) continue;
    docs.push(doc);
    sources.push(source);
    for (const s of doc) tokens += s.length;
    if (tokens >= shardTokens) yield flush();
  }
  if (docs.length) yield flush();
}
