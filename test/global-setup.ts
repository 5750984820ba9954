// Before any test file runs (`npx vitest run FILE` included): the TypeScript is compiled to dist/ and
// the native addon rebuilt when a source under native/ is newer than it, so a test that spawns the
// built CLI (bin from dist/) or loads the addon never runs the previous build.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Removes what dist/ holds for sources that are gone (tsc never deletes an output): a moved or deleted module must not load. */
function pruneOrphans(dir: string, src: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name), s = join(src, e.name);
    if (e.isDirectory()) {
      if (existsSync(s)) pruneOrphans(p, s);
      else rmSync(p, { recursive: true, force: true });
      continue;
    }
    const m = /^(.*)\.(js|d\.ts|js\.map|d\.ts\.map)$/.exec(e.name);
    if (m && !existsSync(join(src, m[1] + '.ts'))) rmSync(p, { force: true });
  }
}

export default function setup(): void {
  const addon = join(root, 'build', 'Release', 'bert_native.node');
  const sources = Math.max(newest(join(root, 'native')), statSync(join(root, 'CMakeLists.txt')).mtimeMs);
  if (!existsSync(addon) || statSync(addon).mtimeMs < sources) {
    execFileSync(join(root, 'node_modules', '.bin', 'cmake-js'), ['compile', '--release'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  for (const top of ['lib', 'bin']) pruneOrphans(join(root, 'dist', top), join(root, top));
  // incremental (dist/.tsbuildinfo): a second run with nothing changed takes about a second
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['-e', "require('node:fs').chmodSync('dist/bin/bert-cli.js', 0o755)"], { cwd: root });
}
