// What a job needs in memory, counted from the config and the batch shape before anything is
// allocated, so that a batch that cannot fit is refused with the figure rather than ending in an
// out-of-memory kill halfway through the first step. The count is the encoder's own buffer plan
// (encoder.ts, bufferPlan) and the parameter arenas (params.ts); bench/memory.ts holds the real RSS against it.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { countParameters, type BertConfig } from '../config.js';
import { BertError } from '../errors.js';
import { encoderFloats } from './encoder.js';

export interface MemoryNeed {
  parameters: number;
  /** bytes: the parameter arenas (with gradients and Adam's m and v when training) */
  arenas: number;
  /** bytes: the activations planned for a batch of B × T, and the MLM logits at the masked rows */
  activations: number;
  /** bytes: the training data held at once (pretraining: one shard of instances) */
  data: number;
  total: number;
}

export function memoryNeed(cfg: BertConfig, B: number, T: number, opts: { training: boolean; mlmRows?: number; bf16?: boolean; int8?: boolean; dataBytes?: number }): MemoryNeed {
  const { hidden_size: H, intermediate_size: I, num_hidden_layers: L, vocab_size: V } = cfg;
  // heads add at most an H×H transform or a small classifier beside the encoder and pooler
  const P = countParameters(cfg) + H * H + 3 * H + V;
  const R = B * T;
  const mlm = (opts.mlmRows ?? 0) * V * 2; // logits and their gradient
  // the encoder's buffers, from the plan it allocates by (encoder.ts, bufferPlan)
  const activations = 4 * (encoderFloats(cfg, B, T, opts.training) + mlm);
  // --dtype bf16: inference keeps a 2-byte copy of every linear weight of the encoder and pooler
  // beside the fp32 arena; training packs each GEMM's op(B) into one reused buffer, as large as
  // the largest: an FFN activation (dW) or the tied decoder's embeddings
  // --dtype int8: a 1-byte copy of the encoder's linear weights, and the quantized activations
  const packs = opts.int8 && !opts.training ? L * (4 * H * H + 2 * H * I) + R * Math.max(H, I) + 4 * R
    : !opts.bf16 ? 0 : opts.training ? 2 * Math.max(R * I, V * H) : 2 * (L * (4 * H * H + 2 * H * I) + H * H);
  const arenas = (opts.training ? 4 * P * 4 + P : 4 * P) + packs;
  return { parameters: P, arenas, activations, data: opts.dataBytes ?? 0, total: arenas + activations + (opts.dataBytes ?? 0) };
}

/** Memory this process may use: the machine's, or a cgroup's limit when lower; BERT_MEMORY_LIMIT (bytes, or 512M / 8G) overrides. */
export function availableMemory(): number {
  const env = process.env.BERT_MEMORY_LIMIT;
  if (env) {
    const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(env.trim());
    if (m) return Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  }
  let limit = totalmem();
  for (const f of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = Number(readFileSync(f, 'utf8').trim());
      if (Number.isFinite(v) && v > 0) limit = Math.min(limit, v);
    } catch {
      // no such limit here
    }
  }
  return limit;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GiB`;

/** Refuses a job whose count is over 90% of the memory there is, naming the figures and the flags that change them. */
export function assertMemoryFits(cfg: BertConfig, B: number, T: number, opts: { training: boolean; mlmRows?: number; bf16?: boolean; int8?: boolean; dataBytes?: number; what: string }): void {
  const need = memoryNeed(cfg, B, T, opts);
  const have = availableMemory();
  if (need.total <= 0.9 * have) return;
  throw new BertError(
    `${opts.what} needs about ${gib(need.total)} (${gib(need.arenas)} for ${(need.parameters / 1e6).toFixed(1)}M parameters${opts.training ? ' with gradients and Adam moments' : ''}, ` +
      `${gib(need.activations)} for the activations of a batch of ${B} × ${T} tokens${need.data ? `, ${gib(need.data)} for the data held at once` : ''}), more than the ${gib(have)} this machine has`,
    { where: '--batch-size', hint: 'a smaller --batch-size (with --grad-accum to keep the effective batch) or --max-length' },
  );
}

/**
 * Refuses a model whose weights alone cannot be held in memory before anything is allocated, naming
 * the config.json that asks for it. (validateConfig caps a model at 4 billion parameters, under the
 * 2^32 floats one Float32Array arena holds.)
 */
export function assertModelFits(cfg: BertConfig, where: string): void {
  const n = countParameters(cfg);
  const have = availableMemory();
  if (4 * n > 0.9 * have) {
    throw new BertError(`the model's weights need about ${gib(4 * n)} (${(n / 1e6).toFixed(0)}M parameters), more than the ${gib(have)} this machine has`, { where });
  }
}

/**
 * Bytes of pretraining data held at once: the documents of a shard while it fills (Int32 tokens, an
 * array a sentence) and then its instances — 24 bytes a token, with room to spare over the ~10 a
 * token measured on the State of the Union (27 MiB of instances for its 2.6M tokens, one shard);
 * twice that with a held-out set beside it.
 */
export const shardBytes = (shardTokens: number, withEval: boolean) => 24 * shardTokens * (withEval ? 2 : 1);
