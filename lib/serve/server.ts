// bert-cli serve: an HTTP server over the library (fastify). The models are loaded (mapped and
// checked) on an engine thread before the port opens; requests are parsed, checked and tokenized on
// the main thread, their inputs batched across requests (batcher.ts) into one forward pass at a time
// on the engine thread, and answered as OpenAI's and text-embeddings-inference's clients expect
// (routes.ts). Limits refuse what the server cannot hold (413, 429) instead of falling over; SIGTERM
// drains: /health turns 503, new requests get 503, every accepted request is answered.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { basename, resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import cors from '@fastify/cors';
import { DEFAULTS } from '../defaults.js';
import { BertError, UsageError } from '../errors.js';
import { loadModel, type Model } from '../api/model.js';
import type { InferenceDtype } from '../model/encoder.js';
import type { Pooling } from '../model/embed.js';
import { Batcher } from './batcher.js';
import { Engine } from './engine.js';
import { errorBody, HttpError, sendError } from './http.js';
import { Metrics } from './metrics.js';
import { routes } from './routes.js';

export interface ServeOptions {
  /** a model directory, { name: dir }, or [{ name, dir }]: the first is the default; a request's `model` field picks one */
  models: string | Record<string, string> | { name: string; dir: string }[];
  host?: string;
  /** 0: any free port (see `url`) */
  port?: number;
  dtype?: InferenceDtype;
  threads?: number;
  /** padded tokens in one forward pass (TEI's --max-batch-tokens) */
  maxBatchTokens?: number;
  /** requests being answered at once; beyond: 429 with Retry-After */
  maxConcurrentRequests?: number;
  /** inputs in one request; beyond: 413 */
  maxClientBatchSize?: number;
  /** tokens per input (default: each model's, as predict and embed take them) */
  maxInputLength?: number;
  /** bytes of a request body; beyond: 413 */
  maxBody?: number;
  /** every route but /health then needs `Authorization: Bearer <key>` */
  apiKey?: string;
  /** an allowed origin for browsers (CORS); off by default */
  cors?: string;
  /** one JSON line per request (time, route, model, inputs, tokens, queue_ms, compute_ms, status) */
  log?: (line: string) => void;
  /** seconds close() waits for in-flight requests */
  drainTimeout?: number;
  /** milliseconds a client has to send its headers (slow clients) */
  headersTimeout?: number;
  /** false: build the app without opening a port (app.inject, or mount `plugin` in your own fastify) */
  listen?: boolean;
  /** aborted (wire it to SIGINT/SIGTERM): the server drains, as close() */
  signal?: AbortSignal;
}

/** A served model as the main thread holds it: its tokenizer and config (the weights are the engine thread's). */
export interface Served {
  name: string;
  model: Model;
  dtype: InferenceDtype;
  /** tokens per input: embeddings, and predictions */
  embedLength: number;
  predictLength: number;
  pooling: Exclude<Pooling, 'tokens'>;
  normalize: boolean;
}

export interface ServerState {
  models: Served[];
  byName: Map<string, Served>;
  engine: Engine;
  batcher: Batcher;
  metrics: Metrics;
  limits: { maxBatchTokens: number; maxConcurrentRequests: number; maxClientBatchSize: number; maxInputLength: number | null; maxBody: number };
  active: number;
  draining: boolean;
  drained?: Promise<void>;
  log?: (line: string) => void;
  apiKey?: string;
}

export interface Server {
  /** http://host:port, once listening */
  url: string;
  app: FastifyInstance;
  /** the routes as a fastify plugin, to register in your own fastify instance (Express is not supported) */
  plugin: FastifyPluginAsync;
  state: ServerState;
  /** seconds from the call to ready */
  startSeconds: number;
  /** drain: /health 503, new requests 503, in-flight ones answered (at most drainTimeout), then the engine stops */
  close(): Promise<void>;
}

/** `--model`'s value: NAME=DIR, or DIR named by its base name. */
export function modelSpec(arg: string): { name: string; dir: string } {
  const eq = arg.indexOf('=');
  return eq > 0 ? { name: arg.slice(0, eq), dir: arg.slice(eq + 1) } : { name: basename(resolve(arg)), dir: arg };
}

/** The model list of ServeOptions as names and directories; a name is the directory's base name unless given. */
export function modelList(m: ServeOptions['models']): { name: string; dir: string }[] {
  const list = typeof m === 'string' ? [modelSpec(m)] : Array.isArray(m) ? m : Object.entries(m).map(([name, dir]) => ({ name, dir }));
  if (!list.length) throw new UsageError('no model to serve', { where: '--model' });
  const seen = new Set<string>();
  for (const { name } of list) {
    if (seen.has(name)) throw new UsageError(`two models are named '${name}'`, { where: '--model', hint: 'name them: --model NAME=DIR' });
    seen.add(name);
  }
  return list;
}

const positive = (v: number | undefined, flag: string, dflt: number) => {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${flag} must be a positive integer, not ${v}`, { where: flag });
  return v;
};

export async function serve(o: ServeOptions): Promise<Server> {
  const t0 = performance.now();
  const list = modelList(o.models);
  const limits = {
    maxBatchTokens: positive(o.maxBatchTokens, '--max-batch-tokens', DEFAULTS.serve.maxBatchTokens),
    maxConcurrentRequests: positive(o.maxConcurrentRequests, '--max-concurrent-requests', DEFAULTS.serve.maxConcurrentRequests),
    maxClientBatchSize: positive(o.maxClientBatchSize, '--max-client-batch-size', DEFAULTS.serve.maxClientBatchSize),
    maxInputLength: o.maxInputLength === undefined ? null : positive(o.maxInputLength, '--max-input-length', 0),
    maxBody: positive(o.maxBody, '--max-body', DEFAULTS.serve.maxBody),
  };
  // the directories are read here first, so a bad one is named before the engine thread starts
  const mains = await Promise.all(list.map(async (m) => ({ ...m, model: await loadModel(m.dir) })));
  for (const m of mains) {
    if (limits.maxInputLength !== null && limits.maxInputLength > m.model.config.max_position_embeddings) {
      throw new UsageError(`--max-input-length ${limits.maxInputLength} is over model '${m.name}''s max_position_embeddings ${m.model.config.max_position_embeddings}`, { where: '--max-input-length' });
    }
  }
  const engine = await Engine.start({ models: list.map(({ name, dir }) => ({ name: name, dir: resolve(dir) })), dtype: o.dtype, threads: o.threads });
  const models: Served[] = mains.map((m, i) => ({
    name: m.name, model: m.model, dtype: engine.models[i].dtype,
    embedLength: limits.maxInputLength ?? m.model.embedLength,
    predictLength: limits.maxInputLength ?? m.model.maxLength(),
    pooling: m.model.pooling(), normalize: m.model.sentenceEmbedding?.normalize ?? false,
  }));
  const metrics = new Metrics();
  const state: ServerState = {
    models, byName: new Map(models.map((m) => [m.name, m])), engine, metrics, limits, active: 0, draining: false, log: o.log, apiKey: o.apiKey,
    batcher: new Batcher(
      (key, items) => {
        const [model, op, pooling] = key.split('\u0000');
        return engine.run<unknown[]>({ model, op: op as 'embed' | 'predict', items, pooling: pooling as Exclude<Pooling, 'tokens'> });
      },
      {
        maxBatchTokens: limits.maxBatchTokens,
        onBatch: (b) => { metrics.batchSize.observe(b.size); metrics.batchTokens.observe(b.tokens); metrics.compute.observe(b.seconds); },
        onQueue: (n) => metrics.waiting.set(n),
      },
    ),
  };

  const plugin: FastifyPluginAsync = async (app) => {
    if (o.cors) await app.register(cors, { origin: o.cors });
    guard(app, state);
    routes(app, state);
  };
  // a client has headersTimeout to send its headers (slow loris), checked every second
  const headersTimeout = o.headersTimeout ?? 10_000;
  const app = Fastify({
    bodyLimit: limits.maxBody, return503OnClosing: true, forceCloseConnections: 'idle',
    serverFactory: (handler) => createServer({ headersTimeout, requestTimeout: 120_000, connectionsCheckingInterval: Math.min(1000, headersTimeout) }, handler),
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `the request body is over ${limits.maxBody} bytes (--max-body)`
      : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'send the body as JSON (Content-Type: application/json)'
      : err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the request body is empty; send a JSON object'
      : status === 400 && /JSON/.test(err.message) ? `the request body is not valid JSON (${err.message})` : status < 500 ? err.message : 'internal error';
    if (status >= 500) process.stderr.write(`bert-cli serve: ${err.stack ?? err.message}\n`);
    return sendError(reply, new HttpError(status, message, status < 500 ? 'body' : null));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody(404, `no route ${req.method} ${req.url.split('?')[0]}`, null)));
  await app.register(plugin);

  const server: Server = { url: '', app, plugin, state, startSeconds: 0, close: () => drain(app, state, (o.drainTimeout ?? DEFAULTS.serve.drainTimeout) * 1000) };
  if (o.listen !== false) {
    const host = o.host ?? DEFAULTS.serve.host, port = o.port ?? DEFAULTS.serve.port;
    await app.ready();
    try {
      await app.listen({ host, port });
    } catch (err) {
      await engine.close();
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new BertError(`port ${port} on ${host} is in use (another server is listening there)`, { where: '--port', hint: 'stop it, or choose another --port' });
      if (e.code === 'EACCES') throw new BertError(`no permission to listen on port ${port}`, { where: '--port' });
      if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new BertError(`cannot listen on ${host}: no such address here`, { where: '--host' });
      throw err;
    }
    const a = app.server.address();
    server.url = typeof a === 'object' && a ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  } else {
    await app.ready();
  }
  server.startSeconds = (performance.now() - t0) / 1000;
  if (o.signal) {
    if (o.signal.aborted) await server.close();
    else o.signal.addEventListener('abort', () => void server.close(), { once: true });
  }
  return server;
}

/** Draining, the API key and the concurrency limit, before any route runs. */
function guard(app: FastifyInstance, s: ServerState): void {
  const key = s.apiKey ? createHash('sha256').update(s.apiKey).digest() : null;
  app.addHook('onRequest', async (req, reply) => {
    // /health is open (the route's own path, so that a prefix a mounting app gives keeps it open)
    if (req.routeOptions.url?.endsWith('/health')) return;
    // (no Connection: close: a socket closed with the body unread resets, and the client would see
    // ECONNRESET instead of this answer)
    if (s.draining) return sendError(reply, new HttpError(503, 'the server is shutting down', null, { 'retry-after': '1' }));
    if (key) {
      const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!timingSafeEqual(createHash('sha256').update(given).digest(), key)) {
        return sendError(reply, new HttpError(401, given ? 'the API key is wrong' : 'this server needs an API key: Authorization: Bearer <key>', 'authorization', { 'www-authenticate': 'Bearer' }));
      }
    }
    if (req.method !== 'POST') return;
    if (s.active >= s.limits.maxConcurrentRequests) {
      return sendError(reply, new HttpError(429, `the server is answering ${s.active} requests, its limit (--max-concurrent-requests); retry shortly`, null, { 'retry-after': '1' }));
    }
    s.metrics.active.set(++s.active);
    reply.raw.once('close', () => s.metrics.active.set(--s.active));
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    s.metrics.requests.inc({ route, status: String(reply.statusCode) });
    s.metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
}

/**
 * The drain: new requests get 503 while the port stays open, so that a request
 * that reached the server always gets an answer rather than a reset; once every accepted request is
 * answered (or the timeout passes) the port closes, idle connections with it, and the engine stops.
 */
async function drain(app: FastifyInstance, s: ServerState, timeoutMs: number): Promise<void> {
  if (s.draining) return s.drained;
  s.draining = true;
  s.drained = (async () => {
    const start = performance.now(), until = start + timeoutMs;
    // a moment's grace even when idle: connections already on their way get a 503, not a reset
    const grace = Math.min(250, timeoutMs);
    while ((s.active > 0 || !s.batcher.idle || performance.now() < start + grace) && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([app.close(), new Promise<void>((r) => (timer = setTimeout(r, Math.max(100, until - performance.now()))))]);
    clearTimeout(timer);
    app.server.closeAllConnections?.();
    await s.engine.close();
  })();
  return s.drained;
}
