// Before any test file runs (`npx vitest run FILE` included): the TypeScript is compiled to dist/ and
// the native addon rebuilt when a source under native/ is newer than it, so a test that spawns the
// built CLI (bin from dist/) or loads the addon never runs the previous build.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

export default function setup(): void {
  const addon = join(root, 'build', 'Release', 'bert_native.node');
  const sources = Math.max(newest(join(root, 'native')), statSync(join(root, 'CMakeLists.txt')).mtimeMs);
  if (!existsSync(addon) || statSync(addon).mtimeMs < sources) {
    execFileSync(join(root, 'node_modules', '.bin', 'cmake-js'), ['compile', '--release'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  // incremental (dist/.tsbuildinfo): a second run with nothing changed takes about a second
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['-e', "require('node:fs').chmodSync('dist/bin/bert-cli.js', 0o755)"], { cwd: root });
}
