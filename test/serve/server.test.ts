// The server as applications call it: the official openai client and plain fetch against serve()
// listening on a free port, every route's answers equal to the library's and the CLI's on the same
// inputs, the limits and errors (one JSON error naming the field), the API key, batching across
// concurrent requests, clients that go away, and the drain.
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../lib/index.js';
// the server as the package runs it: its engine thread is a compiled module (dist/, built by the global setup)
import { serve, type Server } from '../../dist/lib/index.js';
import { runCli, tinyModelsBeforeAll } from '../cli/helpers.js';

const tagger = join(import.meta.dirname, '../fixtures/tagger-tiny');
const tiny = tinyModelsBeforeAll('bert-cli-serve-', { classifier: true });
let pairDir = '';
let server: Server;
let url = '';

const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, headers: r.headers, json: await r.json() as any };
};
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThanOrEqual(tol);
};

beforeAll(async () => {
  const m = tiny.models();
  pairDir = join(tiny.dir, 'pair');
  const words = ['the', 'war', 'peace', 'congress', 'nation', 'people', 'law', 'trade', 'tax', 'navy'];
  const pairs = join(tiny.dir, 'pairs.tsv');
  // related (1) when the second text repeats the first's word: scores that a few epochs pull apart
  writeFileSync(pairs, 'text_a\ttext_b\tlabel\n' + Array.from({ length: 40 }, (_, i) => `the ${words[i % 10]}\t${i % 2 ? words[i % 10] : words[(i + 3) % 10]} is here\t${i % 2}`).join('\n') + '\n');
  const ft = runCli(['finetune', '--model', m.pretrained, '--task', 'pair', '--train', pairs, '--out', pairDir, '--epochs', '15', '--lr', '5e-3', '--max-length', '16', '--quiet']);
  expect(ft.code, ft.stderr).toBe(0);
  server = await serve({ models: [{ name: 'tagger', dir: tagger }, { name: 'spam', dir: m.classifier }, { name: 'pair', dir: pairDir }, { name: 'mini', dir: m.pretrained }], port: 0, maxClientBatchSize: 64, maxBody: 64 * 1024, headersTimeout: 1000 });
  url = server.url;
}, 180_000);
afterAll(async () => server?.close());

describe('serve: routes against the library and the CLI', () => {
  const texts = ['Alice Smith went to Rome.', 'the war and the peace', 'tax on trade 東京 🎉', 'a'];

  it('/v1/embeddings with the openai client (its default base64 and float) equals the library\'s normalized embeddings', async () => {
    const client = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused' });
    const lib = await (await loadModel(tagger)).embed(texts, { normalize: true });
    const b64 = await client.embeddings.create({ model: 'tagger', input: texts });
    expect(b64.object).toBe('list');
    expect(b64.model).toBe('tagger');
    expect(b64.data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    b64.data.forEach((d, i) => expect(Array.from(d.embedding)).toEqual(Array.from(lib[i])));
    const float = await client.embeddings.create({ model: 'tagger', input: texts[0], encoding_format: 'float' });
    expect(float.data[0].embedding).toEqual(Array.from(lib[0]));
    const tok = (await loadModel(tagger)).tokenizer;
    expect(b64.usage).toEqual({ prompt_tokens: texts.reduce((n, t) => n + tok.encode(t).ids.length, 0), total_tokens: texts.reduce((n, t) => n + tok.encode(t).ids.length, 0) });
    // Matryoshka: the first 8 dimensions, renormalized
    const short = await client.embeddings.create({ model: 'tagger', input: texts[1], dimensions: 8, encoding_format: 'float' });
    const v = lib[1].slice(0, 8), n = Math.hypot(...v);
    close(short.data[0].embedding, Array.from(v, (x) => x / n), 1e-7);
  });

  it('/v1/embeddings takes token-id arrays as they are (as TEI does)', async () => {
    const tok = (await loadModel(tagger)).tokenizer;
    const ids = tok.encode(texts[1]).ids;
    const r = await post('/v1/embeddings', { model: 'tagger', input: [ids] });
    const s = await post('/v1/embeddings', { model: 'tagger', input: texts[1] });
    expect(r.json.data[0].embedding).toEqual(s.json.data[0].embedding);
    expect((await post('/v1/embeddings', { model: 'tagger', input: [[1, 2, 99999]] })).json.error.param).toBe('input[0]');
  });

  it('/embed (TEI) equals bert-cli embed --normalize, and normalize: false the raw vectors', async () => {
    const cli = runCli(['embed', '--model', tagger, '--normalize', ...texts]);
    expect(cli.code, cli.stderr).toBe(0);
    const want = cli.stdout.trim().split('\n').map((l) => JSON.parse(l).embedding as number[]);
    const r = await post('/embed', { inputs: texts });
    expect(r.status).toBe(200);
    r.json.forEach((v: number[], i: number) => close(v, want[i], 1e-6)); // the CLI prints 6 decimals
    const raw = await post('/embed', { inputs: texts[0], normalize: false, pooling: 'mean' });
    expect(raw.json[0]).toEqual(Array.from((await (await loadModel(tagger)).embed([texts[0]], { pooling: 'mean' }))[0]));
  });

  it("/predict gives predict --json's rows: a classifier's, and a tagger's entities as the library gives them", async () => {
    const m = tiny.models();
    const cli = runCli(['predict', '--model', m.classifier, 'the war is here', 'tax is here']);
    expect(cli.code, cli.stderr).toBe(0);
    const r = await post('/predict', { model: 'spam', inputs: ['the war is here', 'tax is here'] });
    expect(r.json).toEqual(cli.stdout.trim().split('\n').map((l) => JSON.parse(l)));
    const tags = await post('/predict', { model: 'tagger', inputs: texts, aggregation_strategy: 'first' });
    expect(tags.json).toEqual(await (await loadModel(tagger)).predict(texts, { tag: { aggregation: 'first' } }));
    for (const [i, row] of tags.json.entries()) for (const e of row.entities) expect(texts[i].slice(e.start, e.end).toLowerCase()).toContain(e.word.split(' ')[0].replace(/^##/, ''));
    // a single input is a list of one row
    expect((await post('/predict', { model: 'spam', inputs: 'tax is here' })).json).toEqual([r.json[1]]);
  });

  it('/rerank (TEI) sorts texts by the cross-encoder\'s positive-class probability', async () => {
    const query = 'the war', docs = ['peace is here', 'war is here', 'tax is here', 'war', 'navy is here'];
    const r = await post('/rerank', { model: 'pair', query, texts: docs, return_text: true });
    expect(r.status).toBe(200);
    const rows = await (await loadModel(pairDir)).predict<{ scores: Record<string, number> }>(docs.map((d) => [query, d]));
    const want = rows.map((x, index) => ({ index, score: x.scores['1'], text: docs[index] })).sort((a, b) => b.score - a.score);
    expect(r.json.map((x: { index: number }) => x.index)).toEqual(want.map((x) => x.index));
    r.json.forEach((x: { score: number; text: string }, i: number) => { expect(x.score).toBeCloseTo(want[i].score, 6); expect(x.text).toBe(want[i].text); });
    // scores apart enough that the order is the model's, not float noise
    for (let i = 1; i < want.length; i++) expect(want[i - 1].score - want[i].score).toBeGreaterThan(1e-5);
    const raw = await post('/rerank', { model: 'pair', query, texts: docs, raw_scores: true });
    expect(raw.json.map((x: { index: number }) => x.index)).toEqual(want.map((x) => x.index));
    // raw: the log-odds, logit₁ − logit₀
    const logits = (await (await loadModel(pairDir)).predict<{ logits: number[] }>([[query, docs[raw.json[0].index]]]))[0].logits;
    expect(raw.json[0].score).toBeCloseTo(logits[1] - logits[0], 6);
  });

  it('/tokenize (TEI) and /fill-mask answer as the tokenizer and the library do', async () => {
    const lib = await loadModel(tiny.models().pretrained);
    const t = await post('/tokenize', { model: 'mini', inputs: ['the war', 'peace'] });
    expect(t.json[0].map((x: { id: number }) => x.id)).toEqual(lib.tokenizer.encode('the war').ids);
    expect(t.json[0][0]).toEqual({ id: lib.tokenizer.encode('x').ids[0], text: '[CLS]', special: true, start: null, stop: null });
    const e = lib.tokenizer.encode('the war');
    expect(t.json[0].slice(1, -1)).toEqual(e.tokens.slice(1, -1).map((text, i) => ({ id: e.ids[i + 1], text, special: false, start: e.offsets[i + 1][0], stop: e.offsets[i + 1][1] })));
    expect('the war'.slice(t.json[0][1].start, t.json[0].at(-2).stop)).toBe('the war');
    const f = await post('/fill-mask', { model: 'mini', inputs: 'the [MASK] is here', top_k: 3 });
    expect(f.json).toEqual(JSON.parse(JSON.stringify(await lib.fillMask('the [MASK] is here', { topK: 3 }))));
  });

  it('/health, /info and /metrics', async () => {
    expect((await fetch(url + '/health')).status).toBe(200);
    const info = await (await fetch(url + '/info')).json() as any;
    expect(info.models.map((m: { name: string; task: string | null }) => [m.name, m.task])).toEqual([['tagger', 'tag'], ['spam', 'classify'], ['pair', 'pair'], ['mini', null]]);
    expect(info.models[1].labels).toEqual(['a', 'b']);
    expect(info.models[2].routes).toContain('/rerank');
    const metrics = await (await fetch(url + '/metrics')).text();
    for (const name of ['bert_cli_requests_total', 'bert_cli_request_duration_seconds_bucket', 'bert_cli_queue_duration_seconds_bucket', 'bert_cli_batch_size_bucket', 'bert_cli_batch_tokens_bucket', 'bert_cli_queue_depth', 'bert_cli_tokens_total', 'bert_cli_process_resident_memory_bytes']) expect(metrics).toContain(name);
    expect(metrics).toMatch(/bert_cli_requests_total\{route="\/embed",status="200"\} \d+/);
  });
});

describe('serve: bad requests get one JSON error naming the field', () => {
  const cases: [string, string, unknown, number, string | null][] = [
    ['malformed JSON', '/embed', '{"inputs": [', 400, 'body'],
    ['a body that is not an object', '/embed', '[1,2]', 400, null],
    ['a missing field', '/embed', {}, 400, 'inputs'],
    ['a wrong type', '/embed', { inputs: [1] }, 400, 'inputs[0]'],
    ['a wrong flag type', '/embed', { inputs: 'x', normalize: 'yes' }, 400, 'normalize'],
    ['an unknown model', '/embed', { inputs: 'x', model: 'gpt-4' }, 404, 'model'],
    ['an unknown pooling', '/embed', { inputs: 'x', pooling: 'avg' }, 400, 'pooling'],
    ['an unknown encoding format', '/v1/embeddings', { input: 'x', encoding_format: 'hex' }, 400, 'encoding_format'],
    ['too many dimensions', '/v1/embeddings', { input: 'x', dimensions: 4096 }, 400, 'dimensions'],
    ['more inputs than --max-client-batch-size', '/embed', { inputs: Array(10_000).fill('a') }, 413, 'inputs'],
    ['an input over the model\'s length with truncate: false', '/embed', { inputs: ['the war '.repeat(100)], truncate: false }, 413, 'inputs[0]'],
    ['rerank on a tagger', '/rerank', { model: 'tagger', query: 'q', texts: ['t'] }, 400, 'model'],
    ['predict on a pretrained encoder', '/predict', { model: 'mini', inputs: ['x'] }, 400, 'model'],
    ['a pair model given one text', '/predict', { model: 'pair', inputs: ['only one'] }, 400, 'inputs[0]'],
    ['an unknown aggregation strategy', '/predict', { model: 'tagger', inputs: ['x'], aggregation_strategy: 'mean' }, 400, 'aggregation_strategy'],
    ['fill-mask on a model without an MLM head', '/fill-mask', { model: 'spam', inputs: 'a [MASK]' }, 400, 'model'],
    ['a route that does not exist', '/v1/chat/completions', { messages: [] }, 404, null],
  ];
  it.each(cases)('%s', async (_, path, body, status, param) => {
    const r = await post(path, body);
    expect(r.status).toBe(status);
    expect(Object.keys(r.json)).toEqual(['error']);
    expect(r.json.error.message).toMatch(/\S/);
    expect(r.json.error.message).not.toMatch(/\n/);
    expect(r.json.error.param).toBe(param);
  });

  it('a body over --max-body is a 413, and a 100 MB one does not hurt the server', async () => {
    expect((await post('/embed', { inputs: ['x'.repeat(70 * 1024)] })).status).toBe(413);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url + '/embed', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) } }, (res) => { res.resume(); resolve(res.statusCode!); });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      let sent = 0;
      const write = () => { while (sent < 100 && req.write(chunk)) sent++; if (sent < 100) req.once('drain', () => { sent++; write(); }); else req.end(); };
      write();
    }).catch((e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 413 : Promise.reject(e)));
    expect(status).toBe(413);
    expect((await fetch(url + '/health')).status).toBe(200);
  });

  it('a client that sends its headers slowly (slow loris) is cut off, and others are answered meanwhile', async () => {
    const sock = connect(new URL(url).port as unknown as number, '127.0.0.1');
    let closed = false;
    sock.on('close', () => (closed = true));
    sock.on('error', () => {});
    sock.write('POST /embed HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => sock.write('X-A: b\r\n'), 200);
    expect((await post('/embed', { inputs: 'the war' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    clearInterval(timer);
    expect(closed).toBe(true);
  });
});

describe('serve: batching, load and clients that go away', () => {
  it('64 concurrent requests give the vectors one at a time gives, in batches of more than one', async () => {
    const texts = Array.from({ length: 64 }, (_, i) => `the war ${'and peace '.repeat(i % 7)}${i}`);
    const one: number[][] = [];
    for (const t of texts) one.push((await post('/embed', { model: 'tagger', inputs: t })).json[0]);
    const before = await batchCounts();
    const all = await Promise.all(texts.map((t) => post('/embed', { model: 'tagger', inputs: t })));
    const after = await batchCounts();
    all.forEach((r, i) => close(r.json[0], one[i], 1e-6));
    // 64 inputs in fewer forward passes than 64
    expect(after.sum - before.sum).toBe(64);
    expect(after.count - before.count).toBeLessThan(64);
  });

  it('a client that goes away has its waiting inputs dropped; the queue empties and the server answers the next', async () => {
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    const gone = controllers.map((c) => fetch(url + '/embed', { method: 'POST', signal: c.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: Array(64).fill('the war and the peace '.repeat(5)) }) }).catch(() => null));
    await new Promise((r) => setTimeout(r, 30));
    controllers.forEach((c) => c.abort());
    await Promise.all(gone);
    for (let i = 0; i < 100 && !server.state.batcher.idle; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.state.batcher.idle).toBe(true);
    expect(server.state.batcher.waiting).toBe(0);
    expect((await post('/embed', { inputs: 'still here' })).status).toBe(200);
  });

  async function batchCounts() {
    const text = await (await fetch(url + '/metrics')).text();
    return { sum: Number(/bert_cli_batch_size_sum (\S+)/.exec(text)![1]), count: Number(/bert_cli_batch_size_count (\S+)/.exec(text)![1]) };
  }
});

describe('serve: limits, API key, drain', () => {
  it('beyond --max-concurrent-requests: 429 with Retry-After, never a 5xx', async () => {
    const s = await serve({ models: tagger, port: 0, maxConcurrentRequests: 2 });
    try {
      const rs = await Promise.all(Array.from({ length: 30 }, () => fetch(s.url + '/embed', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: Array(32).fill('the war and the peace') }) }).then(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), body: await r.json() as any }))));
      const codes = rs.map((r) => r.status);
      expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
      expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(2);
      expect(codes.every((c) => c === 200 || c === 429)).toBe(true);
      const busy = rs.find((r) => r.status === 429)!;
      expect(busy.retry).toBe('1');
      expect(busy.body.error.type).toBe('rate_limit_error');
      expect((await fetch(s.url + '/health')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('an API key: 401 on every route but /health without it or with a wrong one; the openai client with it works', async () => {
    const s = await serve({ models: tagger, port: 0, apiKey: 's3cret' });
    try {
      expect((await fetch(s.url + '/health')).status).toBe(200);
      for (const [method, path] of [['GET', '/info'], ['GET', '/metrics'], ['POST', '/embed'], ['POST', '/v1/embeddings'], ['POST', '/predict'], ['POST', '/tokenize'], ['POST', '/fill-mask'], ['POST', '/rerank']]) {
        for (const auth of [undefined, 'Bearer wrong', 's3cret', 'Bearer s3cret2']) {
          const r = await fetch(s.url + path, { method, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: method === 'POST' ? '{"inputs":"x"}' : undefined });
          expect(r.status, `${path} ${auth}`).toBe(401);
          expect(((await r.json()) as any).error.param).toBe('authorization');
        }
      }
      const client = new OpenAI({ baseURL: s.url + '/v1', apiKey: 's3cret' });
      expect((await client.embeddings.create({ model: 'tagger-tiny', input: 'x' })).data).toHaveLength(1);
      await expect(new OpenAI({ baseURL: s.url + '/v1', apiKey: 'nope', maxRetries: 0 }).embeddings.create({ model: 'tagger-tiny', input: 'x' })).rejects.toMatchObject({ status: 401 });
    } finally {
      await s.close();
    }
  });

  it('CORS is off by default; --cors names the origin browsers may call from', async () => {
    const pre = (u: string) => fetch(u + '/embed', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect((await pre(url)).headers.get('access-control-allow-origin')).toBeNull();
    const s = await serve({ models: tagger, port: 0, cors: 'https://app.example' });
    try {
      const r = await pre(s.url);
      expect(r.status).toBeLessThan(300);
      expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const got = await fetch(s.url + '/embed', { method: 'POST', headers: { origin: 'https://app.example', 'content-type': 'application/json' }, body: '{"inputs":"x"}' });
      expect(got.headers.get('access-control-allow-origin')).toBe('https://app.example');
    } finally {
      await s.close();
    }
  });

  it('the routes mount in your own fastify instance under a prefix (its plugin), with the log line per request', async () => {
    const { default: Fastify } = await import('fastify');
    const lines: string[] = [];
    const s = await serve({ models: tagger, listen: false, apiKey: 'k', log: (l) => lines.push(l) });
    const app = Fastify();
    app.get('/', async () => 'my app');
    await app.register(s.plugin, { prefix: '/bert' });
    try {
      expect((await app.inject({ method: 'GET', url: '/bert/health' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'POST', url: '/bert/embed', payload: { inputs: 'x' } })).statusCode).toBe(401);
      const r = await app.inject({ method: 'POST', url: '/bert/embed', payload: { inputs: ['the war', 'peace'] }, headers: { authorization: 'Bearer k' } });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toHaveLength(2);
      expect((await app.inject({ method: 'GET', url: '/' })).body).toBe('my app');
      const line = JSON.parse(lines.at(-1)!);
      expect(line).toMatchObject({ route: '/bert/embed', model: 'tagger-tiny', inputs: 2, status: 200 });
      expect(Object.keys(line)).toEqual(['time', 'route', 'model', 'inputs', 'tokens', 'queue_ms', 'compute_ms', 'ms', 'status']);
      expect(line.tokens).toBeGreaterThan(0);
      expect(line.compute_ms).toBeGreaterThan(0);
    } finally {
      await app.close();
      await s.close();
    }
  });

  it('close() drains: requests in flight and queued are answered, /health and new requests get 503', async () => {
    const s = await serve({ models: tagger, port: 0, maxBatchTokens: 64 });
    const inflight = Array.from({ length: 40 }, (_, i) => fetch(s.url + '/embed', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: Array(16).fill(`the war ${i}`) }) }).then((r) => r.status));
    for (let i = 0; i < 500 && s.state.active < 40; i++) await new Promise((r) => setTimeout(r, 5));
    expect(s.state.active).toBe(40);
    const closing = s.close();
    const late = await fetch(s.url + '/embed', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":"x"}' });
    expect(late.status).toBe(503);
    expect((await fetch(s.url + '/health')).status).toBe(503);
    expect(s.state.draining).toBe(true);
    const codes = await Promise.all(inflight);
    await closing;
    // every request the server had accepted was answered
    expect(codes).toEqual(Array(40).fill(200));
    await expect(fetch(s.url + '/health')).rejects.toThrow();
  });
});
