// bert-cli serve: the HTTP server (lib/serve) from the terminal. Ctrl-C or SIGTERM drains it — /health
// turns 503, new requests get 503, every accepted request is answered — and it exits 0; a second
// signal exits at once.
import { Command } from 'commander';
import { DEFAULTS } from '../../lib/defaults.js';
import { UsageError } from '../../lib/errors.js';
import { modelSpec, serve } from '../../lib/serve/server.js';
import { engineOptions, parsePositiveInt } from '../options.js';

interface Flags {
  model: string[]; host: string; port: number; dtype: 'fp32' | 'bf16' | 'int8'; threads?: number; maxBatchTokens: number; maxConcurrentRequests: number;
  maxClientBatchSize: number; maxInputLength?: number; maxBody: number; apiKey?: string; cors?: string; jsonLogs?: boolean; drainTimeout: number;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`--port must be a port number (0 to 65535), got '${value}'`, { where: '--port' });
  return n;
}

export function serveCommand(): Command {
  return engineOptions(new Command('serve')
    .description('serve models over HTTP: OpenAI /v1/embeddings, TEI /embed /rerank /tokenize, /predict, /fill-mask, /health, /metrics')
    .requiredOption('--model <dir>', 'a model directory, or NAME=DIR; repeat for several (a request\'s "model" field picks one, the first is the default)', collect)
    .option('--host <addr>', 'address to listen on', DEFAULTS.serve.host)
    .option('--port <n>', 'port to listen on (0: any free port)', parsePort, DEFAULTS.serve.port)
    .option('--max-batch-tokens <n>', 'padded tokens in one forward pass (the longest input × the inputs), as TEI', parsePositiveInt, DEFAULTS.serve.maxBatchTokens)
    .option('--max-concurrent-requests <n>', 'requests answered at once; beyond: 429 with Retry-After', parsePositiveInt, DEFAULTS.serve.maxConcurrentRequests)
    .option('--max-client-batch-size <n>', 'inputs in one request; beyond: 413', parsePositiveInt, DEFAULTS.serve.maxClientBatchSize)
    .option('--max-input-length <n>', 'tokens per input; longer ones are cut (truncate: true, the default) or refused with 413 (default: the model\'s, as predict and embed take it)', parsePositiveInt)
    .option('--max-body <bytes>', 'largest request body; beyond: 413', parsePositiveInt, DEFAULTS.serve.maxBody)
    .option('--api-key <key>', 'every route but /health needs "Authorization: Bearer KEY" (or set BERT_CLI_API_KEY)')
    .option('--cors <origin>', 'let browsers on this origin call the server (off by default)')
    .option('--json-logs', 'one JSON line per request on standard output: time, route, model, inputs, tokens, queue_ms, compute_ms, status')
    .option('--drain-timeout <seconds>', 'on SIGTERM, how long in-flight requests may take before the server exits', parsePositiveInt, DEFAULTS.serve.drainTimeout))
    .addHelpText('after', `
Routes: GET /health /info /metrics; POST /v1/embeddings (OpenAI), /embed /rerank /tokenize (text-embeddings-inference),
/predict (predict --json's rows; a tagger's entities), /fill-mask. Errors: {"error":{"message","type","param"}}.

Examples:
  $ bert-cli serve --model out/spam --port 8080
  $ curl -s localhost:8080/predict -H 'Content-Type: application/json' -d '{"inputs":["You won a FREE prize"]}'
  $ bert-cli serve --model mini=out/mini --model spam=out/spam --dtype int8 --json-logs
`)
    .action(async (f: Flags) => {
      const models = f.model.map(modelSpec);
      const server = await serve({
        models, host: f.host, port: f.port, dtype: f.dtype, threads: f.threads, maxBatchTokens: f.maxBatchTokens, maxConcurrentRequests: f.maxConcurrentRequests,
        maxClientBatchSize: f.maxClientBatchSize, maxInputLength: f.maxInputLength, maxBody: f.maxBody, apiKey: f.apiKey ?? (process.env.BERT_CLI_API_KEY || undefined),
        cors: f.cors, drainTimeout: f.drainTimeout, log: f.jsonLogs ? (line) => process.stdout.write(line + '\n') : undefined,
      });
      for (const m of server.state.models) for (const n of server.state.engine.models.find((x) => x.name === m.name)?.notices ?? []) process.stderr.write(n + '\n');
      const what = server.state.models.map((m) => `${m.name} (${m.model.task ?? 'encoder'}, ${m.dtype})`).join(', ');
      process.stderr.write(`bert-cli serve: ${what} on ${server.url}, ready in ${server.startSeconds.toFixed(1)} s${server.state.apiKey ? ' (API key required)' : ''}\n`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: NodeJS.Signals) => {
          if (stopping) process.exit(sig === 'SIGINT' ? 130 : 143);
          stopping = true;
          process.stderr.write(`bert-cli serve: ${sig}: answering the requests in flight, then exiting (again to quit now)\n`);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write('bert-cli serve: stopped\n');
    });
}
