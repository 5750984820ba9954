// A bag-of-words reference for next-sentence prediction: on the same pairs `bert-cli pretrain` makes
// (its training instances, and its held-out set exactly: same seed, same 1,600-sequence cap), a
// logistic regression over how much A and B share — TF-IDF cosine and the fraction of shared tokens
// — plus their sizes. It says how far word overlap alone gets, which is what a small BERT must beat.
// Run: npx tsx tools/nsp-baseline.ts MODEL_DIR TRAIN.txt HELDOUT.txt [--seed 42] [--epochs 3]
import { Tokenizer } from '../lib/tokenizer/tokenizer.js';
import { DEFAULT_EVAL_BATCHES, heldOutSeed } from '../lib/train/pretrain.js';
import { pretrainingShards, type Instance, type PretrainingOptions, type SpecialIds } from '../lib/train/pretraining-data.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const [modelDir, trainPath, heldPath] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!heldPath) throw new Error('usage: tools/nsp-baseline.ts MODEL_DIR TRAIN.txt HELDOUT.txt [--seed 42] [--epochs 3]');
const seed = flag('--seed', 42), epochs = flag('--epochs', 3);

const tok = Tokenizer.fromModelDir(modelDir);
const sp: SpecialIds = { cls: tok.vocab.special('[CLS]'), sep: tok.vocab.special('[SEP]'), mask: tok.vocab.special('[MASK]'), vocabSize: tok.vocab.size };
// pretrain's defaults (bin/commands/pretrain.ts); masking does not touch the NSP pairs
const o: PretrainingOptions = { maxLength: 128, shortSeqProb: 0.1, maskProb: 0.15, maxPredictions: 20, wholeWordMask: false, nsp: true, dupeFactor: 0 };

async function instances(file: string, s: number, nEpochs: number, limit = Infinity): Promise<Instance[]> {
  const out: Instance[] = [];
  for (let e = 0; e < nEpochs; e++) {
    for await (const shard of pretrainingShards([file], tok, o, sp, s, e)) {
      for (const x of shard) if (out.length < limit) out.push(x);
    }
  }
  return out;
}
const train = await instances(trainPath, seed, epochs);
const held = await instances(heldPath, heldOutSeed(seed), 1, DEFAULT_EVAL_BATCHES * 32); // pretrain's held-out set at --batch-size 32

const df = new Float64Array(tok.vocab.size);
for (const x of train) for (const t of new Set(x.ids)) df[t]++;
const idf = Float64Array.from(df, (d) => Math.log((train.length + 1) / (d + 1)));

function features(x: Instance): number[] {
  const a = new Map<number, number>(), b = new Map<number, number>();
  x.ids.forEach((t, i) => {
    if (t === sp.cls || t === sp.sep) return;
    const m = x.typeIds[i] ? b : a;
    m.set(t, (m.get(t) ?? 0) + 1);
  });
  let dot = 0, na = 0, nb = 0, shared = 0;
  for (const [t, c] of a) {
    na += (c * idf[t]) ** 2;
    const cb = b.get(t);
    if (cb !== undefined) { dot += c * cb * idf[t] ** 2; shared++; }
  }
  for (const [t, c] of b) nb += (c * idf[t]) ** 2;
  return [dot / Math.sqrt(na * nb + 1e-12), shared / Math.sqrt(a.size * b.size + 1e-12), a.size / 100, b.size / 100, 1];
}

// full-batch gradient descent on the log loss: five features, nothing to tune
const X = train.map(features), y = train.map((x) => x.nspLabel);
const w = new Float64Array(X[0].length);
const score = (f: number[]) => f.reduce((s, v, j) => s + v * w[j], 0);
for (let it = 0; it < 300; it++) {
  const g = new Float64Array(w.length);
  X.forEach((f, i) => {
    const p = 1 / (1 + Math.exp(-score(f)));
    f.forEach((v, j) => (g[j] += (p - y[i]) * v));
  });
  g.forEach((v, j) => (w[j] -= (2 * v) / X.length));
}
const report = (name: string, set: Instance[]) => {
  const right = set.filter((x) => (score(features(x)) > 0 ? 1 : 0) === x.nspLabel).length;
  const notNext = set.filter((x) => x.nspLabel === 1).length;
  console.log(JSON.stringify({ set: name, pairs: set.length, accuracy: right / set.length, majority: Math.max(notNext, set.length - notNext) / set.length }));
};
report('train', train);
report('held-out', held);
