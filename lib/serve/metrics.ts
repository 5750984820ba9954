// The server's Prometheus metrics (prom-client, one registry per server so two in one process keep
// their counts apart): requests by route and status, latency, time in the queue, batch sizes and
// padded tokens per forward pass, inputs waiting, tokens processed, and the process's own.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'bert_cli_requests_total', help: 'requests answered, by route and status', labelNames: ['route', 'status'] as const, registers: [this.registry] });
  readonly latency = new Histogram({ name: 'bert_cli_request_duration_seconds', help: 'time from request to answer', labelNames: ['route'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  readonly queue = new Histogram({ name: 'bert_cli_queue_duration_seconds', help: "time a request's inputs waited for their first batch", buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  readonly batchSize = new Histogram({ name: 'bert_cli_batch_size', help: 'inputs per forward pass', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [this.registry] });
  readonly batchTokens = new Histogram({ name: 'bert_cli_batch_tokens', help: 'padded tokens per forward pass', buckets: [16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384], registers: [this.registry] });
  readonly compute = new Histogram({ name: 'bert_cli_batch_duration_seconds', help: 'time of one forward pass', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry] });
  readonly waiting = new Gauge({ name: 'bert_cli_queue_depth', help: 'inputs waiting for a batch', registers: [this.registry] });
  readonly active = new Gauge({ name: 'bert_cli_requests_active', help: 'requests accepted and not yet answered', registers: [this.registry] });
  readonly tokens = new Counter({ name: 'bert_cli_tokens_total', help: 'tokens of the inputs processed', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'bert_cli_' });
  }
}
