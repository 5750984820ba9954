// Installing bert-cli as a user's project would, offline: `npm pack` of this checkout, then
// `npm ci --offline` of the tarball into an empty project. The cache holds the packages' tarballs
// (npm ci of this repository put them there) but not the registry's metadata, which a plain
// `npm install` needs to resolve version ranges; so the empty project gets a lockfile cut from ours:
// the tarball, and the packages it needs at run time at the places and versions ours resolved.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type LockEntry = { version?: string; dev?: boolean; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; [k: string]: unknown };

const root = join(import.meta.dirname, '..', '..');

/** The lock's entries that `names` need, resolved as node does (nested node_modules first, then up). */
export function lockClosure(packages: Record<string, LockEntry>, names: string[]): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {};
  const resolve = (from: string, name: string): string | null => {
    for (let dir = from; ; ) {
      const p = `${dir ? dir + '/' : ''}node_modules/${name}`;
      if (packages[p]) return p;
      if (!dir) return null;
      const i = dir.lastIndexOf('/node_modules/');
      dir = i < 0 ? '' : dir.slice(0, i);
    }
  };
  const stack = names.map((n) => resolve('', n));
  while (stack.length) {
    const p = stack.pop();
    if (!p || out[p]) continue;
    out[p] = packages[p];
    for (const d of Object.keys({ ...packages[p].dependencies, ...packages[p].optionalDependencies })) stack.push(resolve(p, d));
  }
  return out;
}

/** Packs this checkout (dist/ as built) into `dir`; returns the tarball's path. */
export function packTarball(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return join(dir, (JSON.parse(out) as { filename: string }[])[0].filename);
}

/**
 * An empty project at `dir` with the tarball and `extra` packages (names from our lockfile, e.g. the
 * corpora) as its dependencies, installed by `npm ci --offline` (`scripts: false` as
 * --ignore-scripts: the native engine is then not built). Returns npm's output.
 */
export function installTarball(dir: string, tarball: string, opts: { extra?: string[]; scripts?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const extra = opts.extra ?? [];
  const spec = `file:${tarball}`;
  const deps: Record<string, string> = { 'bert-cli': spec };
  for (const e of extra) deps[e] = lock.packages[`node_modules/${e}`].version!;
  const packages: Record<string, LockEntry> = {
    '': { name: 'user-project', version: '1.0.0', dependencies: deps },
    'node_modules/bert-cli': {
      version: pkg.version, resolved: spec, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin,
      engines: pkg.engines, hasInstallScript: true,
      ...(pkg.peerDependencies ? { peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta } : {}),
    },
  };
  for (const [p, e] of Object.entries(lockClosure(lock.packages, [...Object.keys(pkg.dependencies), ...extra]))) {
    const { dev, devOptional, peer, ...rest } = e as LockEntry & { devOptional?: boolean; peer?: boolean };
    void dev; void devOptional; void peer;
    packages[p] = rest;
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true, dependencies: deps }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
  return execFileSync('npm', ['ci', '--offline', '--no-audit', '--no-fund', ...(opts.scripts === false ? ['--ignore-scripts'] : [])],
    { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'warn' } });
}
