// A sentence-transformers directory (all-MiniLM-L6-v2 and the like: a BertModel checkpoint with
// modules.json) says how its sentence embeddings are made: 1_Pooling/config.json the pooling (CLS
// token, mean, or max over the tokens), a Normalize module unit length, sentence_bert_config.json
// the max length. `embed` follows it unless told otherwise.
import { join } from 'node:path';
import { BertError } from '../errors.js';
import { presentFile, readJsonFile } from './read.js';
import type { Pooling } from '../model/embed.js';

export interface SentenceEmbedding {
  pooling: Exclude<Pooling, 'tokens' | 'pooler'>;
  normalize: boolean;
  maxLength?: number;
}

function readJson(path: string): unknown {
  return readJsonFile(path, 'sentence-transformers file', 1 << 20);
}

/** The directory's sentence-embedding recipe, or null when it has no modules.json. */
export function sentenceEmbedding(dir: string): SentenceEmbedding | null {
  const modulesPath = join(dir, 'modules.json');
  if (!presentFile(modulesPath, 'modules.json')) return null;
  const modules = readJson(modulesPath);
  if (!Array.isArray(modules)) throw new BertError('modules.json must be a list of modules', { where: modulesPath });
  const type = (m: unknown) => (m && typeof m === 'object' ? String((m as Record<string, unknown>).type ?? '') : '');
  const out: SentenceEmbedding = { pooling: 'cls', normalize: false };
  for (const m of modules) {
    const t = type(m), path = String((m as Record<string, unknown>).path ?? '');
    if (t.endsWith('models.Transformer')) continue;
    if (t.endsWith('models.Normalize')) { out.normalize = true; continue; }
    if (t.endsWith('models.Pooling')) {
      const cfgPath = join(dir, path, 'config.json');
      const c = readJson(cfgPath) as Record<string, unknown>;
      const modes = (['cls_token', 'mean_tokens', 'max_tokens', 'mean_sqrt_len_tokens', 'weightedmean_tokens', 'lasttoken'] as const).filter((k) => c?.[`pooling_mode_${k}`] === true);
      if (modes.length !== 1 || !['cls_token', 'mean_tokens', 'max_tokens'].includes(modes[0])) {
        throw new BertError(`pooling ${modes.join(' + ') || 'none'} is not supported (CLS token, mean or max)`, { where: cfgPath });
      }
      out.pooling = modes[0] === 'cls_token' ? 'cls' : modes[0] === 'mean_tokens' ? 'mean' : 'max';
      continue;
    }
    throw new BertError(`module ${t || JSON.stringify(m)} is not supported (Transformer, Pooling, Normalize)`, { where: modulesPath });
  }
  const stPath = join(dir, 'sentence_bert_config.json');
  if (presentFile(stPath, 'sentence_bert_config.json')) {
    const n = (readJson(stPath) as Record<string, unknown>)?.max_seq_length;
    if (n !== undefined && (!Number.isInteger(n) || (n as number) < 2)) throw new BertError(`max_seq_length must be an integer of at least 2, not ${JSON.stringify(n)}`, { where: stPath });
    if (n !== undefined) out.maxLength = n as number;
  }
  return out;
}
