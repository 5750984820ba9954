// A model directory is untrusted input (downloaded, shared, half-written by a crash). Reading one
// never writes anything — inside it or outside it — whatever its commit journal says; only the one
// writer that holds a directory's lock rolls an interrupted commit forward, and a second writer is
// refused naming the first. Each case: the fault, the exit code and message, and that nothing changed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, tinyModels } from './helpers.js';

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
