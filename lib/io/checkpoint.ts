// Loading HF-named tensors into a model's parameter arena and writing them back out. Accepts HF's
// variants: names without the `bert.` prefix (a bare BertModel), old `gamma`/`beta` LayerNorm
// names, float16/bfloat16 (widened on read), and a saved `cls.predictions.decoder.weight` (tied to
// the word embeddings, so skipped). Shapes must match the config; what the file lacks is reported,
// so the caller can initialise it (a new head) and say so.
import { BertError } from '../errors.js';
import type { ParamStore } from '../model/params.js';
import { firstNonFinite } from '../model/finite.js';
import { native } from '../native.js';
import { statSync } from 'node:fs';
import type { Tensor } from './safetensors.js';

export interface LoadReport {
  loaded: string[];
  missing: string[];
  unexpected: string[];
  /** the arena is the file, mapped from the page cache (bert-cli's own layout), not a copy */
  mapped: boolean;
}

function candidates(name: string): string[] {
  const out = [name];
  if (name.startsWith('bert.')) out.push(name.slice(5));
  else out.push('bert.' + name);
  for (const n of [...out]) {
    if (n.endsWith('LayerNorm.weight')) out.push(n.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma'));
    if (n.endsWith('LayerNorm.bias')) out.push(n.replace(/LayerNorm\.bias$/, 'LayerNorm.beta'));
  }
  return out;
}

const TIED = new Set(['cls.predictions.decoder.weight', 'cls.predictions.decoder.bias', 'bert.embeddings.position_ids', 'embeddings.position_ids']);

/** Copies tensors into the store; `only` limits which parameters are taken (the rest count as missing). */
export function loadTensors(store: ParamStore, tensors: Map<string, Tensor>, where: string, only?: (name: string) => boolean): LoadReport {
  const mapped = only ? false : mapArena(store, tensors);
  const used = new Set<string>();
  const report: LoadReport = { loaded: [], missing: [], unexpected: [], mapped };
  for (const spec of store.specs) {
    const key = only && !only(spec.name) ? undefined : candidates(spec.name).find((k) => tensors.has(k));
    if (!key) {
      report.missing.push(spec.name);
      continue;
    }
    const t = tensors.get(key)!;
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new BertError(`tensor has shape [${t.shape}], the config needs [${spec.shape}]`, { where: `${where}: ${key}` });
    }
    const view = store.view(spec.name);
    if (mapped) { /* the arena is the file's bytes */ } else if (t.readInto) t.readInto(view);
    else view.set(t.data);
    // a NaN or Inf weight would turn every answer into NaN, or worse, into a confident wrong one
    const at = firstNonFinite(view);
    if (at >= 0) throw new BertError(`tensor has a non-finite value (${view[at]} at index ${at})`, { where: `${where}: ${key}` });
    used.add(key);
    report.loaded.push(spec.name);
  }
  for (const k of tensors.keys()) if (!used.has(k) && !TIED.has(k)) report.unexpected.push(k);
  return report;
}

/**
 * Maps the whole file as the store's arena where its float32 tensors lie back to back in arena order,
 * as bert-cli writes them (HF's files sort them by name: those are read). A mapped checkpoint's pages
 * are the page cache's until written, so loading BERT-base costs ~0.1 s instead of a first touch of
 * 440 MB of fresh memory (~0.5-1 s here; bench/NOTES.md). True when mapped.
 */
function mapArena(store: ParamStore, tensors: Map<string, Tensor>): boolean {
  let file: { path: string; size: number; byteOffset: number } | undefined;
  for (const spec of store.specs) {
    const key = candidates(spec.name).find((k) => tensors.has(k));
    const f = key === undefined ? undefined : tensors.get(key)!.file;
    if (!f) return false;
    file ??= f;
    if (f.path !== file.path || f.byteOffset !== file.byteOffset + 4 * store.offsets.get(spec.name)!) return false;
  }
  if (!file || file.byteOffset % 4 !== 0 || file.byteOffset + 4 * store.size > file.size) return false;
  let arena: Float32Array | null;
  // the file as it was before the mapping read its pages; changed by the time they are in, refused
  const before = statSync(file.path, { bigint: true });
  try {
    arena = native.mapF32(file.path, file.size, file.byteOffset, store.size);
  } catch (err) {
    throw new BertError((err as Error).message.replace(`${file.path}: `, ''), { where: file.path });
  }
  if (arena === null) return false;
  const source = { path: file.path, ino: before.ino, size: before.size, ctimeNs: before.ctimeNs };
  if (!store.adopt(arena, source)) return false;
  store.assertWeightsUnchanged();
  return true;
}

/** Every parameter under its HF name, in arena order. */
export function storeTensors(store: ParamStore): [string, Tensor][] {
  return store.specs.map((s) => [s.name, { shape: s.shape, data: store.view(s.name) }] as [string, Tensor]);
}

