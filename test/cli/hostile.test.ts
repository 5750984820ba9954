// A model directory is untrusted input (downloaded, shared, half-written by a crash). Reading one
// never writes anything — inside it or outside it — whatever its commit journal says; only the one
// writer that holds a directory's lock rolls an interrupted commit forward, and a second writer is
// refused naming the first. Each case: the fault, the exit code and message, and that nothing changed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, tinyModels } from './helpers.js';
import { readSafetensors } from '../../lib/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-hostile-'));
let models: ReturnType<typeof tinyModels>;
beforeAll(() => {
  models = tinyModels(dir, { classifier: true });
});

/** Every file under `root` with its size and modification time: what "nothing changed" compares. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f), s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out[p] = `${s.size}:${s.mtimeMs}:${readFileSync(p).toString('base64').slice(0, 64)}`;
    }
  };
  walk(root);
  return out;
}

describe('a crafted commit journal', () => {
  // what the journal tries: move a file of the directory out of it, over a victim beside it, or
  // bring a file from outside in
  const journals: [string, unknown][] = [
    ['a name that climbs out of the directory', [['.config.json.tmp-1', '../victim.txt']]],
    ['a temporary name that climbs out', [['../victim.txt', 'config.json']]],
    ['an absolute path', [['/etc/hostname', 'vocab.txt']]],
    ['a temporary name of another shape', [['vocab.txt', 'config.json']]],
    ['the journal itself as a target', [['..commit.json.tmp-1', '.commit.json']]],
    ['not a list of pairs', { renames: 'x' }],
    ['not JSON', 'not json'],
  ];
  for (const [what, journal] of journals) {
    it(`${what}: info, predict and embed refuse it naming the journal, and nothing is written`, () => {
      const root = mkdtempSync(join(dir, 'case-'));
      const model = join(root, 'model');
      cpSync(models.classifier, model, { recursive: true });
      writeFileSync(join(root, 'victim.txt'), 'precious\n');
      writeFileSync(join(model, '.config.json.tmp-1'), '{"hidden_size": 1}');
      writeFileSync(join(model, '.commit.json'), typeof journal === 'string' ? journal : JSON.stringify(journal));
      const before = snapshot(root);
      for (const args of [['info', '--model', model], ['predict', '--model', model, '--quiet'], ['embed', '--model', model]]) {
        const r = runCli(args, { input: 'hello\n' });
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toBe(`bert-cli: error: corrupt commit journal: every entry must name a file of this directory and its temporary copy, ${join(model, '.commit.json')}\n`);
      }
      expect(snapshot(root)).toEqual(before);
      expect(readFileSync(join(root, 'victim.txt'), 'utf8')).toBe('precious\n');
    });
  }

  it('a well-formed interrupted commit: readers see the new files and write nothing; the next writer rolls it forward', () => {
    const model = join(mkdtempSync(join(dir, 'case-')), 'model');
    cpSync(models.classifier, model, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    writeFileSync(join(model, '.config.json.tmp-99999999'), JSON.stringify({ ...cfg, id2label: { 0: 'new-a', 1: 'new-b' }, label2id: { 'new-a': 0, 'new-b': 1 } }));
    writeFileSync(join(model, '.commit.json'), JSON.stringify([['.config.json.tmp-99999999', 'config.json']]));
    const before = snapshot(model);
    const info = runCli(['info', '--model', model]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/labels +new-a, new-b/);
    expect(snapshot(model)).toEqual(before);
  });
});

describe('one writer per directory', () => {
  it('a second training run on the same --out is refused naming the first one; the lock goes with the run', async () => {
    const out = join(dir, 'busy');
    const args = ['pretrain', models.corpus, '--vocab', join(models.pretrained, 'vocab.txt'), '--config', join(dir, 'tiny-config.json'), '--steps', '1000000', '--batch-size', '2', '--max-length', '16', '--out', out, '--quiet'];
    const first = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    for (let i = 0; i < 300 && !existsSync(join(out, '.bert-cli.lock')); i++) await new Promise((r) => setTimeout(r, 100));
    const second = runCli([...args, '--overwrite']);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`bert-cli: error: another bert-cli (pid ${first.pid}) is writing to this directory, ${out} (wait for it, or stop it; .bert-cli.lock names it)\n`);
    const fine = runCli(['finetune', '--model', models.pretrained, '--task', 'classify', '--train', models.train, '--out', out, '--overwrite', '--quiet']);
    expect(fine.stderr).toMatch(new RegExp(`another bert-cli \\(pid ${first.pid}\\) is writing to this directory`));
    first.kill('SIGINT');
    expect(await new Promise((r) => first.on('exit', r))).toBe(130);
    expect(existsSync(join(out, '.bert-cli.lock'))).toBe(false);
  }, 60_000);

  it('a lock left by a writer that died (SIGKILL) is taken over', () => {
    const out = join(dir, 'stale');
    cpSync(models.pretrained, out, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(out, '.bert-cli.lock'), JSON.stringify({ pid: Number(dead.stdout) }));
    const r = runCli(['pretrain', models.corpus, '--config', join(dir, 'tiny-config.json'), '--steps', '3', '--batch-size', '2', '--max-length', '16', '--out', out, '--resume', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, '.bert-cli.lock'))).toBe(false);
  });
});

/** A safetensors file of F32/F16/I64 tensors, written by hand (the library writes F32 only). */
function writeTensors(path: string, tensors: { name: string; dtype: 'F32' | 'F16' | 'I64'; shape: number[]; values: ArrayLike<number> }[]): void {
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    const n = t.values.length;
    const buf = Buffer.alloc(n * (t.dtype === 'F32' ? 4 : t.dtype === 'F16' ? 2 : 8));
    for (let i = 0; i < n; i++) {
      if (t.dtype === 'F32') buf.writeFloatLE(t.values[i], 4 * i);
      else if (t.dtype === 'I64') buf.writeBigInt64LE(BigInt(t.values[i]), 8 * i);
      else buf.writeUInt16LE(Number.isNaN(t.values[i]) ? 0x7e00 : t.values[i] === Infinity ? 0x7c00 : 0, 2 * i); // only the cases used here
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + buf.length] };
    parts.push(buf);
    offset += buf.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, ...parts]));
}

describe('broken or oversized weights', () => {
  /** A copy of the tiny classifier with its tensors passed through `edit`. */
  function brokenModel(edit: (ts: { name: string; dtype: 'F32' | 'F16' | 'I64'; shape: number[]; values: ArrayLike<number> }[]) => typeof ts) {
    const model = join(mkdtempSync(join(dir, 'weights-')), 'model');
    cpSync(models.classifier, model, { recursive: true });
    const ts = [...readSafetensors(join(model, 'model.safetensors'))].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, values: Float32Array.from(t.data) }));
    writeTensors(join(model, 'model.safetensors'), edit(ts));
    return model;
  }
  const commands = (model: string) => [['predict', '--model', model, '--quiet'], ['eval', '--model', model, models.train], ['embed', '--model', model]];

  const cases: [string, (ts: Parameters<Parameters<typeof brokenModel>[0]>[0]) => typeof ts, RegExp][] = [
    ['the word embeddings missing', (ts) => ts.filter((t) => t.name !== 'bert.embeddings.word_embeddings.weight'),
      /the checkpoint lacks (bert\.)?embeddings\.word_embeddings\.weight, \S+model\.safetensors$/],
    ["one layer's output dense missing", (ts) => ts.filter((t) => !t.name.startsWith('bert.encoder.layer.0.output.dense.')),
      /the checkpoint lacks (bert\.)?encoder\.layer\.0\.output\.dense\.weight and 1 more tensors of the encoder, \S+model\.safetensors$/],
    ['a NaN weight (F32)', (ts) => ts.map((t) => (t.name === 'bert.encoder.layer.0.output.dense.weight' ? { ...t, values: Float32Array.from(t.values, (v, i) => (i === 5 ? NaN : v)) } : t)),
      /tensor has a non-finite value \(NaN at index 5\), \S+model\.safetensors: bert\.encoder\.layer\.0\.output\.dense\.weight$/],
    ['an Inf weight (F16)', (ts) => ts.map((t) => (t.name === 'bert.pooler.dense.bias' ? { ...t, dtype: 'F16' as const, values: Float32Array.from(t.values, (_, i) => (i === 0 ? Infinity : 0)) } : t)),
      /tensor has a non-finite value \(Infinity at index 0\), \S+model\.safetensors: bert\.pooler\.dense\.bias$/],
    ['finite weights that overflow on every input', (ts) => ts.map((t) => (t.name === 'bert.embeddings.word_embeddings.weight' ? { ...t, values: Float32Array.from(t.values, (_, i) => (i % 2 ? 3e38 : -3e38)) } : t)),
      /the model's (hidden states|logits) are not finite \(NaN or Inf\) for this batch: its weights overflow on this input$/],
  ];
  for (const [what, edit, message] of cases) {
    it(`${what}: predict, eval and embed refuse the model naming it, never print a number`, () => {
      const model = brokenModel(edit);
      for (const args of commands(model)) {
        const r = runCli(args, { input: 'the war is here\n' });
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr.trim()).toMatch(message);
      }
    });
  }

  it("a classifier without its pooler is refused by predict; a tagger may lack one (HF saves those without)", () => {
    const model = brokenModel((ts) => ts.filter((t) => !t.name.startsWith('bert.pooler.')));
    const r = runCli(['predict', '--model', model, '--quiet'], { input: 'the war\n' });
    expect(r.stderr).toMatch(/the checkpoint lacks bert\.pooler\.dense\.(weight|bias), which a classify model needs, \S+model\.safetensors/);
  });

  it("HF's old position_ids buffer (I64) is skipped, as HF does", () => {
    const model = brokenModel((ts) => [...ts, { name: 'bert.embeddings.position_ids', dtype: 'I64', shape: [1, 32], values: Array.from({ length: 32 }, (_, i) => i) }]);
    const withIds = runCli(['predict', '--model', model, '--quiet'], { input: 'the war is here\n' });
    expect(withIds.code, withIds.stderr).toBe(0);
    const plain = runCli(['predict', '--model', models.classifier, '--quiet'], { input: 'the war is here\n' });
    expect(withIds.stdout).toBe(plain.stdout);
  });

  it('pretrain --init from a checkpoint without part of its encoder: refused, or initialised and said with --init-missing', () => {
    const model = brokenModel((ts) => ts.filter((t) => !t.name.startsWith('bert.encoder.layer.0.attention.self.query.')));
    const args = ['pretrain', models.corpus, '--init', model, '--steps', '2', '--batch-size', '2', '--max-length', '16', '--out', join(dir, 'from-broken')];
    const refused = runCli([...args, '--quiet']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the checkpoint lacks bert\.encoder\.layer\.0\.attention\.self\.query\.weight and 1 more tensors of the encoder/);
    const r = runCli([...args, '--init-missing']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/initialised \d+ tensors the checkpoint lacks: .*bert\.encoder\.layer\.0\.attention\.self\.query\.weight/);
  });

  it('a config.json of more than 2^30 floats ends in a one-line error, never a native abort; one past memory is refused before allocating', () => {
    const model = join(mkdtempSync(join(dir, 'huge-')), 'model');
    cpSync(models.classifier, model, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    // two layers of hidden 8192 / intermediate 32768: 1.6B floats, past 2^30 (that used to end in a
    // native double free, exit 134); the arena is allocated, and the first tensor's shape is refused
    writeFileSync(join(model, 'config.json'), JSON.stringify({ ...cfg, hidden_size: 8192, intermediate_size: 32768, num_attention_heads: 32, num_hidden_layers: 2 }));
    const big = runCli(['predict', '--model', model, '--quiet'], { input: 'x\n' });
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/^bert-cli: error: tensor has shape \[\d+,16\], the config needs \[\d+,8192\], \S+model\.safetensors: bert\.embeddings\.\w+\.weight\n$/);
    const mem = runCli(['predict', '--model', model, '--quiet'], { input: 'x\n', env: { BERT_MEMORY_LIMIT: '2G' } });
    expect(mem.code).toBe(1);
    expect(mem.stderr).toMatch(new RegExp(`^bert-cli: error: the model's weights need about 6\\.\\d GiB \\(\\d+M parameters\\), more than the 2\\.0 GiB this machine has, ${join(model, 'config.json').replace(/[.]/g, '\\.')}\\n$`));
    // past validateConfig's 4 billion parameters: refused when config.json is read
    writeFileSync(join(model, 'config.json'), JSON.stringify({ ...cfg, hidden_size: 16384, intermediate_size: 65536, num_attention_heads: 64, num_hidden_layers: 3 }));
    expect(runCli(['predict', '--model', model, '--quiet'], { input: 'x\n' }).stderr).toMatch(/over the limit of 4 billion, \S+config\.json\n$/);
  });
});

describe('readers: only regular files, bounded sizes, .gz everywhere, no quotes in TSV', () => {
  it('a FIFO, /dev/zero or a directory as --train, config.json or vocab.txt is refused at once, naming it', () => {
    const fifo = join(dir, 'fifo.tsv');
    spawnSync('mkfifo', [fifo]);
    const zero = join(dir, 'zero.tsv');
    spawnSync('ln', ['-s', '/dev/zero', zero]);
    const ft = (train: string) => runCli(['finetune', '--model', models.pretrained, '--task', 'classify', '--train', train, '--out', join(dir, 'never'), '--quiet'], { timeout: 30_000 });
    expect(ft(fifo).stderr).toBe(`bert-cli: error: file is not a regular file (a FIFO, device or socket is never read), ${fifo}\n`);
    expect(ft(zero).stderr).toBe(`bert-cli: error: file is not a regular file (a FIFO, device or socket is never read), ${zero}\n`);
    expect(ft(dir).stderr).toBe(`bert-cli: error: file is a directory, not a file, ${dir}\n`);
    const model = join(mkdtempSync(join(dir, 'types-')), 'model');
    cpSync(models.classifier, model, { recursive: true });
    spawnSync('rm', [join(model, 'config.json')]);
    spawnSync('ln', ['-s', '/dev/zero', join(model, 'config.json')]);
    expect(runCli(['info', '--model', model], { timeout: 30_000 }).stderr).toMatch(/config file is not a regular file .*config\.json\n$/);
    const pred = runCli(['predict', '--model', models.classifier, fifo], { timeout: 30_000 });
    expect(pred.stderr).toMatch(/file is not a regular file .*fifo\.tsv\n$/);
    // model.safetensors as a FIFO: opening it would block until a writer came
    const weights = join(mkdtempSync(join(dir, 'types-')), 'model');
    cpSync(models.classifier, weights, { recursive: true });
    spawnSync('rm', [join(weights, 'model.safetensors')]);
    spawnSync('mkfifo', [join(weights, 'model.safetensors')]);
    expect(runCli(['predict', '--model', weights, '--quiet'], { input: 'x\n', timeout: 30_000 }).stderr).toMatch(/checkpoint is not a regular file .*model\.safetensors\n$/);
  });

  it('config.json and vocab.txt past a sensible size are refused before they are read', () => {
    const model = join(mkdtempSync(join(dir, 'sizes-')), 'model');
    cpSync(models.classifier, model, { recursive: true });
    // 16 MiB: room for id2label/label2id of 30,000 labels (about 1 MiB), not for anything else
    writeFileSync(join(model, 'config.json'), ' '.repeat(17 << 20));
    expect(runCli(['info', '--model', model]).stderr).toMatch(/config file is 17 MiB, more than the 16 MiB one can sensibly be, \S+config\.json\n$/);
  });

  it('finetune and eval read .gz as predict does', () => {
    const gz = join(dir, 'train.tsv.gz');
    writeFileSync(gz, gzipSync(readFileSync(models.train)));
    const e = runCli(['eval', '--model', models.classifier, gz, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).count).toBe(12);
    const f = runCli(['finetune', '--model', models.pretrained, '--task', 'classify', '--train', gz, '--out', join(dir, 'from-gz'), '--epochs', '1', '--max-length', '16', '--quiet']);
    expect(f.code, f.stderr).toBe(0);
  });

  it('a TSV field that starts with a quote swallows no rows: predict and eval count every line', () => {
    const tsv = join(dir, 'quotes.tsv');
    writeFileSync(tsv, 'text\tlabel\n"free money, he said\ta\nthe war\tb\n"quoted" law\ta\npeace\tb\n');
    const p = runCli(['predict', '--model', models.classifier, tsv, '--quiet']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(4);
    expect(JSON.parse(runCli(['eval', '--model', models.classifier, tsv, '--json']).stdout).count).toBe(4);
  });

  it('a line of 50 MB (or 1 GiB of zeros in a small .gz) is cut while it is read: predict answers within a 512 MB heap', () => {
    const long = join(dir, 'long.txt');
    writeFileSync(long, 'war '.repeat(12_500_000) + '\npeace\n');
    const bounded = { NODE_OPTIONS: '--max-old-space-size=512' };
    const r = runCli(['predict', '--model', models.classifier, long], { timeout: 120_000, env: bounded });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^1 line longer than 262144 characters was cut there while read \(the model uses its first 16 tokens\)$/m);
    const zeros = join(dir, 'zeros.txt.gz');
    // 1 GiB of NUL bytes in one line, gzipped to about 1 MB (streamed: never in memory whole)
    spawnSync('bash', ['-c', `head -c 1073741824 /dev/zero | gzip -1 > '${zeros}'`]);
    const z = runCli(['predict', '--model', models.classifier, zeros, '--quiet'], { timeout: 300_000, env: bounded });
    expect(z.code, z.stderr).toBe(0);
    expect(z.stdout.trim().split('\n')).toHaveLength(1);
  }, 400_000);
});

describe('one-line messages where there were raw ones, and refusals where there were silent accepts', () => {
  /** A copy of the tiny classifier (or pretrained model) with `edit` applied to its directory. */
  const variant = (edit: (model: string) => void, from = () => models.classifier) => {
    const model = join(mkdtempSync(join(dir, 'msg-')), 'model');
    cpSync(from(), model, { recursive: true });
    edit(model);
    return model;
  };
  const editJson = (file: string, f: (j: Record<string, unknown>) => Record<string, unknown>) =>
    writeFileSync(file, JSON.stringify(f(JSON.parse(readFileSync(file, 'utf8')))));
  const cases: [string, () => { args: string[]; input?: string }, number, RegExp][] = [
    ['position_embedding_type relative_key', () => ({ args: ['predict', '--model', variant((m) => editJson(join(m, 'config.json'), (j) => ({ ...j, position_embedding_type: 'relative_key' }))), '--quiet'], input: 'x\n' }),
      1, /position_embedding_type 'relative_key' is not supported \(BERT's is 'absolute'\), \S+config\.json$/],
    ['info of a directory with only pytorch_model.bin', () => ({ args: ['info', '--model', variant((m) => { spawnSync('mv', [join(m, 'model.safetensors'), join(m, 'pytorch_model.bin')]); })] }),
      1, /only pytorch_model\.bin is present, and pickle files are never loaded/],
    ['--threads 100000', () => ({ args: ['info', '--threads', '100000'] }), 2, /100000 threads is more than the engine runs \(at most \d+ threads\), --threads$/],
    ['predict --max-length past the positions', () => ({ args: ['predict', '--model', models.classifier, '--max-length', '100000', '--quiet'], input: 'x\n' }),
      2, /--max-length 100000 is over the model's max_position_embeddings 32, --max-length$/],
    ['a vocab.txt longer than vocab_size', () => ({ args: ['predict', '--model', variant((m) => {
      rmSync(join(m, 'tokenizer.json')); // else tokenizer.json is the vocabulary, as HF's fast tokenizers read it
      writeFileSync(join(m, 'vocab.txt'), readFileSync(join(m, 'vocab.txt'), 'utf8') + Array.from({ length: 40 }, (_, i) => `zzword${i}`).join('\n') + '\n');
    }), '--quiet'], input: 'zzword39\n' }),
      1, /token id \d+ is past the model's \d+ embeddings: the vocabulary \(vocab\.txt, tokenizer\.json\) has more tokens than config\.json's vocab_size/],
    ['a tokenizer.json longer than vocab_size', () => ({ args: ['predict', '--model', variant((m) => editJson(join(m, 'tokenizer.json'), (j) => {
      const model = j.model as { vocab: Record<string, number> };
      const n = Object.keys(model.vocab).length;
      for (let i = 0; i < 40; i++) model.vocab[`zzword${i}`] = n + i;
      return j;
    })), '--quiet'], input: 'zzword39\n' }),
      1, /token id \d+ is past the model's \d+ embeddings: the vocabulary \(vocab\.txt, tokenizer\.json\) has more tokens than config\.json's vocab_size/],
    ['a tokenizer.json that is not WordPiece', () => ({ args: ['predict', '--model', variant((m) => editJson(join(m, 'tokenizer.json'), (j) => ({ ...j, model: { type: 'BPE', vocab: {}, merges: [] } }))), '--quiet'], input: 'x\n' }),
      1, /^bert-cli: error: model\.type is "BPE", not "WordPiece", \S+tokenizer\.json \(bert-cli reads BERT WordPiece tokenizers/],
    ['a text pair for type_vocab_size 1', () => ({ args: ['predict', '--model', variant((m) => {
      editJson(join(m, 'config.json'), (j) => ({ ...j, type_vocab_size: 1, bert_cli_task: 'pair' }));
      const ts = [...readSafetensors(join(m, 'model.safetensors'))].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: name.endsWith('token_type_embeddings.weight') ? [1, t.shape[1]] : t.shape, values: name.endsWith('token_type_embeddings.weight') ? t.data.slice(0, t.shape[1]) : t.data }));
      writeTensors(join(m, 'model.safetensors'), ts);
    }), '--quiet'], input: 'the war\tthe peace\n' }),
      1, /a text pair needs two segments, and this model has 1 \(type_vocab_size in config\.json\): give it single texts$/],
    ['a training_state.json without its data position', () => ({ args: ['pretrain', models.corpus, '--out', variant((m) => editJson(join(m, 'training_state.json'), ({ data, ...rest }) => (void data, rest)), () => models.pretrained), '--steps', '9', '--batch-size', '2', '--max-length', '16', '--resume', '--quiet'] }),
      1, /"data" \(the position in the training data\) is missing, \S+training_state\.json$/],
    ['a training_state.json with adam_step −5', () => ({ args: ['pretrain', models.corpus, '--out', variant((m) => editJson(join(m, 'training_state.json'), (j) => ({ ...j, adam_step: -5 })), () => models.pretrained), '--steps', '9', '--batch-size', '2', '--max-length', '16', '--resume', '--quiet'] }),
      1, /"adam_step" must be a whole number no larger than "step" \(2\), not -5, \S+training_state\.json$/],
    ['a training_state.json at step 1e9', () => ({ args: ['pretrain', models.corpus, '--out', variant((m) => editJson(join(m, 'training_state.json'), (j) => ({ ...j, step: 1e9 })), () => models.pretrained), '--steps', '9', '--batch-size', '2', '--max-length', '16', '--resume', '--quiet'] }),
      1, /"step" must be a whole number of steps, not 1000000000, \S+training_state\.json$/],
    ['pretraining past memory: the data held at once is counted with the model', () => ({ args: ['pretrain', models.corpus, '--vocab', join(models.pretrained, 'vocab.txt'), '--config', 'mini', '--out', join(dir, 'never')] }),
      1, /^bert-cli: error: pretraining needs about .* for the activations of a batch of 32 × 128 tokens, 0\.09 GiB for the data held at once\), more than the 0\.10 GiB this machine has/],
    ['--lr -1', () => ({ args: ['finetune', '--model', models.pretrained, '--task', 'classify', '--train', models.train, '--out', join(dir, 'never'), '--lr', '-1'] }),
      2, /option '--lr <x>' argument '-1' is invalid\. expected a number above 0, got '-1'$/],
    ['--vocab with --vocab-size', () => ({ args: ['pretrain', models.corpus, '--vocab', join(models.pretrained, 'vocab.txt'), '--vocab-size', '50', '--out', join(dir, 'never')] }),
      2, /give one of --vocab FILE \(use this vocabulary\) and --vocab-size N \(learn one\), --vocab-size$/],
    ['a tokenizer_config.json that is a JSON array', () => ({ args: ['tokenize', '--model', variant((m) => writeFileSync(join(m, 'tokenizer_config.json'), '[true]'))], input: 'x\n' }),
      1, /tokenizer_config\.json must be a JSON object, \S+tokenizer_config\.json$/],
    ['JSON Lines with a list for text', () => ({ args: ['eval', '--model', models.classifier, (() => { const f = join(dir, 'list-text.jsonl'); writeFileSync(f, '{"text":["x"],"label":"a"}\n'); return f; })()] }),
      1, /'text' must be a string, not \["x"\], \S+list-text\.jsonl:1$/],
    ['JSON Lines with a list for a classify label', () => ({ args: ['finetune', '--model', models.pretrained, '--task', 'classify', '--out', join(dir, 'never'), '--train', (() => { const f = join(dir, 'list-label.jsonl'); writeFileSync(f, '{"text":"x","label":["a","b"]}\n{"text":"y","label":"b"}\n'); return f; })()] }),
      1, /label must be a string or a number, not \["a","b"\], \S+list-label\.jsonl:1 \(a list of labels is --task multilabel\)$/],
  ];
  for (const [what, setup, code, message] of cases) {
    it(`${what}: exit ${code}, one line`, () => {
      const { args, input } = setup();
      const r = runCli(args, { input, env: what.startsWith('pretraining past memory') ? { BERT_MEMORY_LIMIT: '100M' } : undefined });
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    });
  }

  it('a resumed run cuts metrics.jsonl back to its checkpoint: every step is logged once', () => {
    const out = join(mkdtempSync(join(dir, 'metrics-')), 'run');
    cpSync(models.pretrained, out, { recursive: true });
    // as a run killed after its checkpoint at step 2 leaves it: steps 3 and 4 logged, not saved, and a torn line
    const log = join(out, 'metrics.jsonl');
    writeFileSync(log, readFileSync(log, 'utf8') + ['{"type":"train","step":3,"loss":1}', '{"type":"train","step":4,"loss":1}', '{"type":"tr'].join('\n'));
    const r = runCli(['pretrain', models.corpus, '--out', out, '--steps', '5', '--batch-size', '2', '--max-length', '16', '--resume', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const steps = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'train').map((x) => x.step);
    expect(steps).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('pretraining corpora of any size', () => {
  it('200 MB of short lines with no blank line (one endless document, in a .gz) pretrains within a 512 MB heap', () => {
    const corpus = join(dir, 'one-document.txt.gz');
    spawnSync('bash', ['-c', `yes 'the war is here and the people know it .' | head -c 209715200 | gzip -1 > '${corpus}'`]);
    const r = runCli(['pretrain', corpus, '--vocab', join(models.pretrained, 'vocab.txt'), '--config', join(dir, 'tiny-config.json'), '--steps', '2', '--batch-size', '2',
      '--max-length', '16', '--out', join(dir, 'from-one-document'), '--quiet', '--json'], { timeout: 300_000, env: { NODE_OPTIONS: '--max-old-space-size=512' } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).steps).toBe(2);
  }, 300_000);
});

describe('a full or read-only disk', () => {
  // a real small filesystem: tmpfs, which root may mount (CI runs as root); skipped where refused
  const mountDir = join(dir, 'small-fs');
  const mounted = (() => {
    spawnSync('mkdir', ['-p', mountDir]);
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=120k', 'tmpfs', mountDir]).status === 0;
  })();
  afterAll(() => {
    if (mounted) spawnSync('umount', [mountDir]);
  });

  it.skipIf(!mounted)('ENOSPC in a checkpoint: one line naming the file, the last whole checkpoint kept, no pieces left', () => {
    const out = join(mountDir, 'run');
    const r = runCli(['pretrain', models.corpus, '--vocab', join(models.pretrained, 'vocab.txt'), '--config', join(dir, 'tiny-config.json'), '--steps', '50',
      '--save-every', '1', '--batch-size', '2', '--max-length', '16', '--out', out, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^bert-cli: error: cannot write \\(no space left on device \\(ENOSPC\\)\\), ${out.replace(/[.]/g, '\\.')}/\\S+\\n$`));
    expect(readdirSync(out).filter((f) => /\.tmp-\d+$/.test(f))).toEqual([]);
    const state = JSON.parse(readFileSync(join(out, 'training_state.json'), 'utf8'));
    expect(state.step).toBeGreaterThan(0);
    expect(runCli(['info', '--model', out]).code).toBe(0); // the kept checkpoint reads whole
    const p = runCli(['predict', '--model', models.classifier, '-o', join(mountDir, 'predictions.jsonl'), '--quiet'], { input: 'the war\n'.repeat(20_000) });
    expect(p.code).toBe(1);
    expect(p.stderr).toBe(`bert-cli: error: cannot write (no space left on device (ENOSPC)), ${join(mountDir, 'predictions.jsonl')}\n`);
  });

  it.skipIf(!mounted)('a read-only filesystem: one line saying so, not "not found"', () => {
    spawnSync('mount', ['-o', 'remount,ro', mountDir]);
    try {
      const r = runCli(['finetune', '--model', models.pretrained, '--task', 'classify', '--train', models.train, '--out', join(mountDir, 'ft'), '--quiet']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`bert-cli: error: cannot write (read-only file system (EROFS)), ${join(mountDir, 'ft')}\n`);
    } finally {
      spawnSync('mount', ['-o', 'remount,rw', mountDir]);
    }
  });
});

describe('standard input and line ends', () => {
  it('standard input that is a directory is refused, not read as empty', () => {
    const r = spawnSync('bash', ['-c', `'${process.execPath}' '${CLI}' predict --model '${models.classifier}' --quiet < '${dir}'`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('bert-cli: error: standard input is a directory, <stdin>\n');
  });

  it('a lone CR stays inside its line: two texts, two predictions', () => {
    const r = runCli(['predict', '--model', models.classifier, '--quiet'], { input: 'the war\rof words\nthe peace\r\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('tokenize --max-length 3 on a pair gives [CLS] [SEP] [SEP], as HF does', () => {
    const r = runCli(['tokenize', '--model', models.pretrained, '--pair', '--max-length', '3'], { input: 'the war\tthe peace\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).tokens).toEqual(['[CLS]', '[SEP]', '[SEP]']);
  });
});

describe('-o PATH: a regular file is replaced whole; a device, FIFO or symlink is never replaced', () => {
  const outs = () => join(mkdtempSync(join(dir, 'out-')));

  it('a character device (a null device made with mknod, as root) stays a device; predict writes into it', () => {
    const d = outs(), dev = join(d, 'null');
    const mk = spawnSync('mknod', [dev, 'c', '1', '3']);
    if (mk.status !== 0) return; // not root: /dev/null cannot be made here, and the next cases cover the rule
    const r = runCli(['predict', '--model', models.classifier, '--quiet', '-o', dev], { input: 'the war is here\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(dev).isCharacterDevice()).toBe(true);
    expect(readdirSync(d)).toEqual(['null']); // no temporary twin left beside it
  });

  it('a FIFO: its reader gets the predictions, and it stays a FIFO', async () => {
    const d = outs(), fifo = join(d, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (b) => (got += b));
    const done = new Promise((resolve) => reader.on('close', resolve));
    const r = runCli(['predict', '--model', models.classifier, '--quiet', '-o', fifo], { input: 'the war is here\npeace\n' });
    await done;
    expect(r.code, r.stderr).toBe(0);
    expect(got.trim().split('\n')).toHaveLength(2);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('a symlink is followed: the file it points to gets the output, and the link stays a link', () => {
    const d = outs(), target = join(d, 'real.jsonl'), link = join(d, 'link.jsonl');
    writeFileSync(target, 'old\n');
    spawnSync('ln', ['-s', target, link]);
    const r = runCli(['tokenize', '--model', models.pretrained, '-o', link], { input: 'the war\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toMatch(/^\{"tokens"/);
    expect(spawnSync('test', ['-L', link]).status).toBe(0);
    const dangling = join(d, 'nothing.jsonl');
    spawnSync('ln', ['-s', join(d, 'missing', 'x'), dangling]);
    const r2 = runCli(['tokenize', '--model', models.pretrained, '-o', dangling], { input: 'the war\n' });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/the output is a symbolic link to nothing/);
  });

  it('a directory is refused before any work, in one line', () => {
    const d = outs();
    for (const args of [['predict', '--model', models.classifier], ['embed', '--model', models.pretrained], ['tokenize', '--model', models.pretrained], ['vocab', models.corpus, '--size', '50']]) {
      const r = runCli([...args, '-o', d], { input: 'the war\n' });
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toMatch(/^bert-cli: error: the output is a directory, .* \(give a file name inside it\)\n$/);
    }
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('export --onnx DIR: one writer, and another model is never replaced silently', () => {
  it("onto a directory that holds a model: refused naming --onnx, the model untouched; --overwrite replaces it", () => {
    const target = join(mkdtempSync(join(dir, 'export-')), 'tagger');
    cpSync(models.pretrained, target, { recursive: true });
    const before = snapshot(target);
    const r = runCli(['export', '--model', models.classifier, '--onnx', target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bert-cli: error: .* already holds a model \(.*\): --overwrite replaces it, --onnx\n$/);
    expect(snapshot(target)).toEqual(before);
    const o = runCli(['export', '--model', models.classifier, '--onnx', target, '--overwrite']);
    expect(o.code, o.stderr).toBe(0);
    expect(existsSync(join(target, 'onnx', 'model.onnx'))).toBe(true);
    const self = runCli(['export', '--model', models.classifier, '--onnx', models.classifier, '--overwrite']);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/--onnx is the model directory itself/);
  });

  it('into a directory a training run holds: refused by its lock', async () => {
    const out = join(mkdtempSync(join(dir, 'export-lock-')), 'ft');
    const child = spawn(process.execPath, [CLI, 'finetune', '--model', models.pretrained, '--task', 'classify', '--train', models.train, '--out', out, '--epochs', '1000', '--quiet'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !existsSync(join(out, '.bert-cli.lock')); i++) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGSTOP'); // held mid-run: its lock stays taken
      expect(existsSync(join(out, '.bert-cli.lock'))).toBe(true);
      const r = runCli(['export', '--model', models.classifier, '--onnx', out, '--overwrite']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/another bert-cli \(pid \d+\) is writing to this directory/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('model directories that used to crash, hang or mislead (issue 30, item 5; item 9)', () => {
  const copy = () => {
    const m = join(mkdtempSync(join(dir, 'md-')), 'model');
    cpSync(models.classifier, m, { recursive: true });
    return m;
  };
  const tokJson = (m: string) => JSON.parse(readFileSync(join(m, 'tokenizer.json'), 'utf8'));

  it('an empty special token in tokenizer.json: refused naming it (it looped until the heap was gone)', () => {
    const m = copy(), j = tokJson(m);
    j.added_tokens.push({ id: j.added_tokens.length + 1000, content: '', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    writeFileSync(join(m, 'tokenizer.json'), JSON.stringify(j));
    const r = runCli(['predict', '--model', m], { input: 'the war\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/added_tokens\[\d+\] has an empty content/);
  });

  it('max_input_chars_per_word of 1e9 is refused; 20,000 special tokens match in one pass', () => {
    const m = copy(), j = tokJson(m);
    j.model.max_input_chars_per_word = 1e9;
    writeFileSync(join(m, 'tokenizer.json'), JSON.stringify(j));
    const r = runCli(['predict', '--model', m], { input: 'the war\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/max_input_chars_per_word is 1000000000, more than 10000/);
    const many = copy(), k = tokJson(many);
    const base = Object.keys(k.model.vocab).length;
    for (let i = 0; i < 20_000; i++) {
      const t = `[X${i}]`;
      k.model.vocab[t] = base + i;
      k.added_tokens.push({ id: base + i, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    }
    writeFileSync(join(many, 'tokenizer.json'), JSON.stringify(k));
    const text = Array.from({ length: 20_000 }, (_, i) => `war [X${(i * 7) % 20_000}]`).join(' ');
    const t = runCli(['tokenize', '--model', many], { input: text + '\n', timeout: 60_000 });
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout).tokens.filter((x: string) => x.startsWith('[X'))).toHaveLength(20_000);
  }, 120_000);

  it("a dangling tokenizer.json or modules.json symlink is refused naming it (vocab.txt or CLS pooling were used instead); a 52 MB value is not echoed whole", () => {
    for (const name of ['tokenizer.json', 'modules.json']) {
      const m = copy();
      rmSync(join(m, name), { force: true });
      spawnSync('ln', ['-s', join(m, 'gone', name), join(m, name)]);
      const r = runCli(['embed', '--model', m], { input: 'the war\n' });
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(new RegExp(`${name.replace('.', '\\.')} is a symbolic link to nothing`));
    }
    const m = copy();
    const cfg = JSON.parse(readFileSync(join(m, 'config.json'), 'utf8'));
    writeFileSync(join(m, 'config.json'), JSON.stringify({ ...cfg, hidden_dropout_prob: 'x'.repeat(10_000_000) }));
    const r = runCli(['info', '--model', m]);
    expect(r.code).toBe(1);
    expect(r.stderr.length).toBeLessThan(2000);
    expect(r.stderr).toMatch(/hidden_dropout_prob must be in \[0, 1\), got "x+… \(\d+ more characters\)/);
  });

  it('config.json: a BOM is taken; 200k levels of nesting, and a /proc file through a symlink, are one line naming it', () => {
    const m = copy();
    writeFileSync(join(m, 'config.json'), '\ufeff' + readFileSync(join(m, 'config.json'), 'utf8'));
    const ok = runCli(['info', '--model', m]);
    expect(ok.code, ok.stderr).toBe(0);
    const deep = copy();
    // deep nesting inside a field the reader ignores: saving the directory again (export) recursed
    const cfg = readFileSync(join(deep, 'config.json'), 'utf8');
    writeFileSync(join(deep, 'config.json'), cfg.replace('{', '{"deep": ' + '['.repeat(200_000) + ']'.repeat(200_000) + ', '));
    for (const args of [['info', '--model', deep], ['export', '--model', deep, '--onnx', join(deep, '..', 'exported')]]) {
      const r = runCli(args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toMatch(/^bert-cli: error: invalid JSON \(nested more than 64 levels deep\), .*config\.json\n$/);
    }
    const proc = copy();
    rmSync(join(proc, 'config.json'));
    spawnSync('ln', ['-s', '/proc/self/pagemap', join(proc, 'config.json')]);
    const p = runCli(['info', '--model', proc], { timeout: 60_000 });
    expect(p.code).toBe(1);
    // bounded: a one-line refusal naming it, never memory that grows
    expect(p.stderr).toMatch(/^bert-cli: error: (cannot read \(EINVAL\)|config file is more than the 16 MiB one can sensibly be), .*config\.json\n$/);
  });
});

describe('settings that were taken silently (issue 30, item 9)', () => {
  it.each([
    [['--resume', '--overwrite'], /give one of --resume .* and --overwrite/],
    [['--dtype', 'int8'], /--dtype.*expected fp32 or bf16, got 'int8' \(int8 is for predict, eval and embed\)/],
    [['--weight-decay', '-1'], /--weight-decay.*expected a number at or above 0, got '-1'/],
  ])('finetune %j: exit 2', (flags, message) => {
    const r = runCli(['finetune', '--model', models.pretrained, '--task', 'classify', '--train', models.train, '--out', join(dir, 'silent'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('numbers are decimal: --null-threshold 0x10 and a regression label 0x10 are refused', () => {
    const r = runCli(['eval', '--model', models.classifier, '--null-threshold', '0x10', models.train]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected a number, got '0x10'/);
    const f = join(dir, 'hex.tsv');
    writeFileSync(f, 'text\tlabel\nthe war\t0x10\npeace\t1.5\n');
    const ft = runCli(['finetune', '--model', models.pretrained, '--task', 'regression', '--train', f, '--out', join(dir, 'hex')]);
    expect(ft.code).toBe(1);
    expect(ft.stderr).toMatch(/label '0x10' is not a decimal number, \S+hex\.tsv:2/);
  });

  it('id2label naming two ids alike is refused (a class would lose its probability); embed --max-length past the positions is refused at once', () => {
    const m = join(mkdtempSync(join(dir, 'dup-')), 'model');
    cpSync(models.classifier, m, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(m, 'config.json'), 'utf8'));
    const [a] = Object.values(cfg.id2label) as string[];
    cfg.id2label = Object.fromEntries(Object.keys(cfg.id2label).map((k) => [k, a]));
    writeFileSync(join(m, 'config.json'), JSON.stringify(cfg));
    const r = runCli(['predict', '--model', m], { input: 'the war\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/id2label names ids 0 and 1 both/);
    const e = runCli(['embed', '--model', models.pretrained, '--max-length', '100000'], { input: 'the war\n' });
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/--max-length 100000 is over the model's max_position_embeddings 32/);
  });
});

describe('files outside --out (issue 30, item 7)', () => {
  it('a metrics.jsonl symlink planted in --out is removed, never followed: its target is untouched', () => {
    const d = mkdtempSync(join(dir, 'planted-')), out = join(d, 'out'), victim = join(d, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    spawnSync('mkdir', [out]);
    spawnSync('ln', ['-s', victim, join(out, 'metrics.jsonl')]);
    const r = runCli(['finetune', '--model', models.pretrained, '--task', 'classify', '--train', models.train, '--out', out, '--epochs', '1', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(spawnSync('test', ['-L', join(out, 'metrics.jsonl')]).status).not.toBe(0); // a regular file now
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toMatch(/"type":"train"/);
  });
});

describe('data files (issue 30, item 6)', () => {
  const f = (name: string, text: string) => {
    const p = join(mkdtempSync(join(dir, 'data-')), name);
    writeFileSync(p, text);
    return p;
  };
  const ft = (task: string, train: string, ...extra: string[]) =>
    runCli(['finetune', '--model', models.pretrained, '--task', task, '--train', train, '--out', join(mkdtempSync(join(dir, 'ft-')), 'o'), '--epochs', '1', '--quiet', ...extra]);

  it('a stray quote in a 20,000-row CSV: predict reads on linearly and says where the quote opened, naming no flag it lacks', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => (i === 10 ? '"the war,x' : `the war ${i},x`));
    const p = f('stray.csv', 'text,label\n' + rows.join('\n') + '\n');
    const r = runCli(['predict', '--model', models.classifier, p, '--quiet'], { timeout: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bert-cli: error: a quoted field is never closed, \S+stray\.csv:12\n$/);
  }, 150_000);

  it('a 10 MB cell is cut like a line: fine-tuning reads it within a 512 MB heap', () => {
    const p = f('big.tsv', `text\tlabel\n${'war '.repeat(2_500_000)}\ta\npeace\tb\nthe law\ta\n`);
    const r = ft('classify', p);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  it('--skip-bad skips an empty label cell; multilabel takes a JSON-array cell and an empty one (no labels)', () => {
    const p = f('gaps.tsv', 'text\tlabel\nthe war\ta\npeace\t\nthe law\tb\nthe navy\ta\n');
    const stop = ft('classify', p);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toMatch(/no 'label' field, \S+gaps\.tsv:3 \(/);
    const skip = ft('classify', p, '--skip-bad', '--json');
    expect(skip.code, skip.stderr).toBe(0);
    const ml = f('ml.tsv', 'text\tlabel\nthe war\t["war", "navy"]\npeace\t\nthe law\tlaw\nthe navy\tnavy,war\n');
    const r = ft('multilabel', ml, '--json');
    expect(r.code, r.stderr).toBe(0);
    const cfg = JSON.parse(readFileSync(join(JSON.parse(r.stdout).out, 'config.json'), 'utf8'));
    expect(Object.values(cfg.id2label).sort()).toEqual(['law', 'navy', 'war']);
  });

  it('a SQuAD answer with an empty text is refused (it trained a zero-length span); predict --max-length 2 is a usage error', () => {
    const squad = f('empty.jsonl', JSON.stringify({ id: 'q1', question: 'what?', context: 'the war is here', answers: { text: [''], answer_start: [0] } }) + '\n');
    const r = ft('qa', squad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/an answer with an empty text/);
    const p = runCli(['predict', '--model', models.classifier, '--max-length', '2', 'the war']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/--max-length 2 leaves no room for a token between \[CLS\] and \[SEP\]/);
  });
});

describe('weights truncated under a running predict -o (issue 30, item 2)', () => {
  it('ends with one line and leaves no partly written output behind', async () => {
    const d = mkdtempSync(join(dir, 'trunc-')), model = join(d, 'model');
    cpSync(models.classifier, model, { recursive: true });
    const input = join(d, 'in.txt'), out = join(d, 'out.jsonl');
    writeFileSync(input, 'the war is here and the nation is at peace\n'.repeat(200_000));
    const child = spawn(process.execPath, [CLI, 'predict', '--model', model, input, '-o', out, '--batch-size', '1', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // once its temporary twin exists, the weights are cut to a page
    for (let i = 0; i < 500 && !readdirSync(d).some((f) => f.startsWith('.out.jsonl.tmp-')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(d).some((f) => f.startsWith('.out.jsonl.tmp-'))).toBe(true);
    spawnSync('truncate', ['-s', '4096', join(model, 'model.safetensors')]);
    const code = await done;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/model\.safetensors/);
    expect(readdirSync(d).filter((f) => f.includes('out.jsonl'))).toEqual([]);
  }, 120_000);
});
