// The routes, each a thin adapter: check the body (one error naming the field), encode on the main
// thread, hand the inputs to the batcher, shape the answer as the client's API defines it —
// OpenAI's /v1/embeddings, text-embeddings-inference's /embed, /rerank and /tokenize, and bert-cli's
// /predict (predict --json's rows) and /fill-mask (HF's fill-mask fields).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BertError } from '../errors.js';
import { unitLength, type Pooling } from '../model/embed.js';
import { packageVersion } from '../native.js';
import { AGGREGATIONS } from '../tasks/entities.js';
import { softmax } from '../tasks/batching.js';
import { HttpError, limitCount, objectBody, optionalBool, optionalInt, optionalString, requiredString, sendError, textList, type Body } from './http.js';
import type { Served, ServerState } from './server.js';

const EMBED_POOLINGS = ['cls', 'mean', 'max', 'pooler'] as const;
const CROSS_ENCODERS = ['pair', 'regression', 'similarity'];

/** What a request did, for the JSON log line. */
interface Work { model?: string; inputs?: number; tokens?: number; queueMs?: number; computeMs?: number }

export function routes(app: FastifyInstance, s: ServerState): void {
  const work = new WeakMap<FastifyRequest, Work>();
  const handle = (fn: (b: Body, req: FastifyRequest, w: Work) => Promise<unknown>) => async (req: FastifyRequest, reply: FastifyReply) => {
    const w: Work = {};
    work.set(req, w);
    try {
      const out = await fn(req.method === 'POST' ? objectBody(req.body) : {}, req, w);
      if (w.tokens) s.metrics.tokens.inc(w.tokens);
      return reply.send(out);
    } catch (err) {
      if (err instanceof HttpError) return sendError(reply, err);
      if (err instanceof BertError) {
        // the library's refusals of an input name it "input N"
        const at = /^input (\d+)/.exec(err.where ?? '') ?? /^inputs\[(\d+)\]/.exec(err.where ?? '');
        return sendError(reply, new HttpError(400, err.message + (err.hint ? ` (${err.hint})` : ''), at ? `inputs[${at[1]}]` : 'inputs'));
      }
      if (reply.raw.destroyed) return reply;
      throw err;
    }
  };
  if (s.log) {
    app.addHook('onResponse', async (req, reply) => {
      const w = work.get(req) ?? {};
      s.log!(JSON.stringify({
        time: new Date().toISOString(), route: req.routeOptions.url ?? req.url.split('?')[0], model: w.model ?? null, inputs: w.inputs ?? 0, tokens: w.tokens ?? 0,
        queue_ms: round(w.queueMs), compute_ms: round(w.computeMs), ms: round(reply.elapsedTime), status: reply.statusCode,
      }));
    });
  }

  /** The request's model: its `model` field, else the first served. */
  const pick = (b: Body, w: Work): Served => {
    const name = optionalString(b, 'model');
    const m = name === undefined ? s.models[0] : s.byName.get(name);
    if (!m) throw new HttpError(404, `the model '${name!.slice(0, 80)}' is not served here (${s.models.map((x) => x.name).join(', ')})`, 'model');
    w.model = m.name;
    return m;
  };
  /** Inputs through the batcher; a client that goes away takes its waiting inputs with it. */
  const batched = async (req: FastifyRequest, m: Served, op: string, items: unknown[], lengths: number[], w: Work) => {
    const ac = new AbortController();
    const onClose = () => ac.abort();
    req.raw.socket?.once('close', onClose);
    try {
      const r = await s.batcher.submit(`${m.name}\u0000${op}`, items, lengths, ac.signal);
      w.queueMs = r.queueMs;
      w.computeMs = r.computeMs;
      s.metrics.queue.observe(r.queueMs / 1000);
      return r.outputs;
    } finally {
      req.raw.socket?.off('close', onClose);
    }
  };

  /** Texts (or token ids, taken as they are, as TEI takes them) encoded for embedding, cut or refused past the model's length. */
  const encodeForEmbedding = (m: Served, xs: (string | number[])[], truncate: boolean, param: string) => {
    const tok = m.model.tokenizer, max = m.embedLength, sep = tok.vocab.special('[SEP]');
    return xs.map((x, i) => {
      let ids: number[], typeIds: number[];
      if (typeof x === 'string') ({ ids, typeIds } = tok.encode(x));
      else {
        ids = x;
        typeIds = new Array(x.length).fill(0);
      }
      if (ids.length > max) {
        if (!truncate) throw new HttpError(413, `input ${i} has ${ids.length} tokens, more than the model takes (${max}); send truncate: true to cut it`, `${param}[${i}]`);
        ids = typeof x === 'string' ? [...ids.slice(0, max - 1), sep] : ids.slice(0, max);
        typeIds = typeIds.slice(0, max);
      }
      return { ids: Int32Array.from(ids), typeIds: Int32Array.from(typeIds) };
    });
  };
  // poolings whose weights the engine thread has loaded and checked (once each, not per request)
  const prepared = new Set(s.models.map((m) => `${m.name}\u0000${m.pooling}`));
  const embed = async (req: FastifyRequest, m: Served, xs: (string | number[])[], o: { truncate: boolean; pooling?: Exclude<Pooling, 'tokens'>; param: string }, w: Work) => {
    const pooling = o.pooling ?? m.pooling;
    if (!prepared.has(`${m.name}\u0000${pooling}`)) {
      await s.engine.run({ model: m.name, op: 'prepare', use: 'embed', pooling });
      prepared.add(`${m.name}\u0000${pooling}`);
    }
    const items = encodeForEmbedding(m, xs, o.truncate, o.param);
    w.inputs = items.length;
    w.tokens = items.reduce((n, x) => n + x.ids.length, 0);
    return (await batched(req, m, `embed\u0000${pooling}`, items, items.map((x) => x.ids.length), w)) as Float32Array[];
  };
  /** Inputs of the model's family through the batcher: encoded (cut at the model's length, or a 413 with truncate: false), counted for the log. */
  const predicted = async (req: FastifyRequest, m: Served, xs: unknown[], o: { truncate: boolean; param: string; tooLong: (cut: number) => string; topK?: number; tag?: { aggregation?: (typeof AGGREGATIONS)[number]; stride?: number } }, w: Work) => {
    let cut = 0;
    const chunk = m.model.encodeInputs(xs, { maxLength: m.predictLength, topK: o.topK, tag: o.tag, onTruncated: (n) => (cut += n) });
    if (cut && !o.truncate) throw new HttpError(413, o.tooLong(cut), o.param);
    const lengths = chunk.examples.map((e) => m.model.exampleLength(e));
    w.inputs = xs.length;
    w.tokens = lengths.reduce((a, x) => a + x, 0);
    return { chunk, outputs: await batched(req, m, 'predict', chunk.examples, lengths, w) };
  };
  const truncateTo = (v: Float32Array, dims: number | undefined, param: string): Float32Array => {
    if (dims === undefined) return v;
    if (dims > v.length) throw new HttpError(400, `'dimensions' ${dims} is more than the model's ${v.length}`, param);
    return unitLength(v.slice(0, dims));
  };

  app.get('/health', async (_req, reply) => {
    const ok = !s.draining && s.engine.alive;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : s.draining ? 'draining' : 'engine stopped' });
  });

  app.get('/info', handle(async () => ({
    version: packageVersion(),
    models: s.models.map((m) => ({
      name: m.name, task: m.model.task, labels: m.model.labels, dtype: m.dtype, max_input_length: m.model.task ? m.predictLength : m.embedLength, embedding_max_length: m.embedLength,
      pooling: m.pooling, normalize: m.normalize, hidden_size: m.model.config.hidden_size,
      routes: ['/v1/embeddings', '/embed', '/tokenize', '/fill-mask', ...(m.model.task ? ['/predict'] : []), ...(CROSS_ENCODERS.includes(m.model.task ?? '') ? ['/rerank'] : [])],
    })),
    max_batch_tokens: s.limits.maxBatchTokens, max_concurrent_requests: s.limits.maxConcurrentRequests, max_client_batch_size: s.limits.maxClientBatchSize, max_body: s.limits.maxBody,
  })));

  app.get('/metrics', async (_req, reply) => reply.header('content-type', s.metrics.registry.contentType).send(await s.metrics.registry.metrics()));

  // OpenAI: {input: string | string[] | number[] | number[][], model, encoding_format, dimensions}
  app.post('/v1/embeddings', handle(async (b, req, w) => {
    const m = pick(b, w);
    const format = optionalString(b, 'encoding_format', ['float', 'base64'] as const) ?? 'float';
    const dims = optionalInt(b, 'dimensions', 1);
    const v = b.input;
    let xs: (string | number[])[];
    const isIds = (a: unknown): a is number[] => Array.isArray(a) && a.length > 0 && a.every((t) => Number.isInteger(t));
    if (typeof v === 'string') xs = [v];
    else if (isIds(v)) xs = [v];
    else if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) xs = v as string[];
    else if (Array.isArray(v) && v.length && v.every(isIds)) xs = v as number[][];
    else throw new HttpError(400, v === undefined ? "'input' is required" : "'input' must be a string, an array of strings, or an array of token-id arrays (not empty)", 'input');
    limitCount(xs.length, 'input', s.limits.maxClientBatchSize);
    const vocab = m.model.tokenizer.vocab.size;
    xs.forEach((x, i) => {
      if (typeof x !== 'string' && x.some((t) => t < 0 || t >= vocab)) throw new HttpError(400, `input ${i} has a token id outside the vocabulary (0 to ${vocab - 1})`, `input[${i}]`);
    });
    const vecs = await embed(req, m, xs, { truncate: true, param: 'input' }, w);
    return {
      object: 'list',
      data: vecs.map((e, index) => {
        const u = truncateTo(unitLength(e), dims, 'dimensions');
        return { object: 'embedding', index, embedding: format === 'base64' ? Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64') : Array.from(u) };
      }),
      model: m.name,
      usage: { prompt_tokens: w.tokens, total_tokens: w.tokens },
    };
  }));

  // TEI: {inputs, normalize = true, truncate, pooling?, dimensions?} → [[…]]
  app.post('/embed', handle(async (b, req, w) => {
    const m = pick(b, w);
    const xs = textList(b, 'inputs', s.limits.maxClientBatchSize);
    const normalize = optionalBool(b, 'normalize', true), truncate = optionalBool(b, 'truncate', true);
    const pooling = optionalString(b, 'pooling', EMBED_POOLINGS), dims = optionalInt(b, 'dimensions', 1);
    const vecs = await embed(req, m, xs, { truncate, pooling, param: 'inputs' }, w);
    return vecs.map((v) => Array.from(dims !== undefined ? truncateTo(v, dims, 'dimensions') : normalize ? unitLength(v) : v));
  }));

  // TEI: {query, texts, raw_scores?, return_text?, truncate?} → [{index, score, text?}] by score
  app.post('/rerank', handle(async (b, req, w) => {
    const m = pick(b, w);
    if (m.model.task === 'pair' && m.model.labels.length !== 2) throw new HttpError(400, `model '${m.name}' is a pair classifier of ${m.model.labels.length} classes (${m.model.labels.join(', ')}); /rerank needs one score or two classes`, 'model');
    if (!CROSS_ENCODERS.includes(m.model.task ?? '')) throw new HttpError(400, `model '${m.name}' is ${m.model.task ? `a ${m.model.task} model` : 'a pretrained encoder with no task head'}; /rerank needs a cross-encoder (fine-tuned with --task pair, regression or similarity)`, 'model');
    const query = requiredString(b, 'query'), texts = textList(b, 'texts', s.limits.maxClientBatchSize);
    const raw = optionalBool(b, 'raw_scores', false), returnText = optionalBool(b, 'return_text', false), truncate = optionalBool(b, 'truncate', true);
    const logits = (await predicted(req, m, texts.map((t) => [query, t]), {
      truncate, param: 'texts', tooLong: (cut) => `the query with ${cut === 1 ? 'a text' : `${cut} texts`} is more than the model takes (${m.predictLength} tokens); send truncate: true to cut`,
    }, w)).outputs as Float32Array[];
    const ranked = logits.map((l, index) => {
      // one logit is the score; two: the positive class's probability (raw_scores: its log-odds,
      // logit₁ − logit₀, whose sigmoid is that probability, so both rank alike)
      const score = l.length === 1 ? l[0] : raw ? l[1] - l[0] : softmax(l)[1];
      return { index, score, ...(returnText ? { text: texts[index] } : {}) };
    });
    return ranked.sort((a, c) => c.score - a.score || a.index - c.index);
  }));

  // bert-cli: {inputs: [...], top_k?, aggregation_strategy?, stride?} → predict --json's rows
  app.post('/predict', handle(async (b, req, w) => {
    const m = pick(b, w);
    if (!m.model.task) throw new HttpError(400, `model '${m.name}' is a pretrained encoder with no task head: it embeds (/embed, /v1/embeddings) and fills masks (/fill-mask)`, 'model');
    const v = b.inputs;
    if (v === undefined) throw new HttpError(400, "'inputs' is required", 'inputs');
    const xs = Array.isArray(v) && !(m.model.task === 'pair' && v.length === 2 && v.every((x) => typeof x === 'string')) ? v : [v];
    if (!xs.length) throw new HttpError(400, "'inputs' must not be empty", 'inputs');
    limitCount(xs.length, 'inputs', s.limits.maxClientBatchSize);
    const aggregation = optionalString(b, 'aggregation_strategy', AGGREGATIONS), stride = optionalInt(b, 'stride', 1), topK = optionalInt(b, 'top_k', 1);
    const truncate = optionalBool(b, 'truncate', true);
    const { chunk, outputs } = await predicted(req, m, xs, {
      truncate, param: 'inputs', topK, tag: { aggregation, stride }, tooLong: (cut) => `${cut === 1 ? 'an input has' : `${cut} inputs have`} more tokens than the model takes (${m.predictLength}); send truncate: true to cut`,
    }, w);
    return chunk.rows(outputs);
  }));

  // TEI: {inputs, add_special_tokens = true} → [[{id, text, special, start, stop}]]
  app.post('/tokenize', handle(async (b, _req, w) => {
    const m = pick(b, w);
    const xs = textList(b, 'inputs', s.limits.maxClientBatchSize), special = optionalBool(b, 'add_special_tokens', true);
    w.inputs = xs.length;
    return xs.map((x) => {
      const e = m.model.tokenizer.encode(x, null, { addSpecialTokens: special });
      return e.ids.map((id, i) => {
        const sp = e.specialTokensMask[i] === 1 && e.offsets[i][0] === e.offsets[i][1];
        return { id, text: e.tokens[i], special: sp, start: sp ? null : e.offsets[i][0], stop: sp ? null : e.offsets[i][1] };
      });
    });
  }));

  // {inputs: "a text with [MASK]", top_k?} → for each [MASK], HF's fill-mask candidates
  app.post('/fill-mask', handle(async (b, _req, w) => {
    const m = pick(b, w);
    const text = requiredString(b, 'inputs'), topK = optionalInt(b, 'top_k', 1);
    w.inputs = 1;
    try {
      return await s.engine.run({ model: m.name, op: 'fill-mask', text, topK });
    } catch (e) {
      if (e instanceof BertError) throw new HttpError(400, `model '${m.name}': ${e.message}${e.hint ? ` (${e.hint})` : ''}`, /MASK/.test(e.message) && !/head/.test(e.message) ? 'inputs' : 'model');
      throw e;
    }
  }));
}

const round = (x: number | undefined) => (x === undefined ? null : Math.round(x * 10) / 10);
