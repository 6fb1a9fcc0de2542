import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The receiver's Prometheus metrics (one registry per receiver, so tests can run several). Names
 * follow Prometheus conventions: `_total` counters, base units (seconds, bytes).
 */
export interface ReceiverMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'status' | 'code'>;
  readonly records: Counter;
  readonly bytes: Counter;
  readonly segments: Counter;
  readonly duplicates: Counter;
  readonly latency: Histogram<'status'>;
  readonly inFlight: Gauge;
  readonly queued: Gauge;
  readonly memoryBudget: Gauge;
  readonly memoryReserved: Gauge;
  readonly assemblies: Counter<'result'>;
  readonly oldestUnassembledAge: Gauge;
}

export function createReceiverMetrics(): ReceiverMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'efsink_receiver_requests_total',
      help: 'Firehose requests answered, by HTTP status and error code (empty when 200).',
      labelNames: ['status', 'code'],
      registers,
    }),
    records: new Counter({
      name: 'efsink_receiver_records_total',
      help: 'Firehose records accepted (durable) in answered-200 requests, duplicates excluded.',
      registers,
    }),
    bytes: new Counter({
      name: 'efsink_receiver_bytes_total',
      help: 'Framed log bytes landed durably (segment bytes), duplicates excluded.',
      registers,
    }),
    segments: new Counter({
      name: 'efsink_receiver_segments_total',
      help: 'Segment files landed durably, duplicates excluded.',
      registers,
    }),
    duplicates: new Counter({
      name: 'efsink_receiver_duplicate_requests_total',
      help: 'Requests whose request id had already landed (Firehose retries): answered 200, nothing written.',
      registers,
    }),
    latency: new Histogram({
      name: 'efsink_receiver_request_duration_seconds',
      help: 'Time from the request headers to the response, by status.',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180],
      registers,
    }),
    inFlight: new Gauge({
      name: 'efsink_receiver_requests_in_flight',
      help: 'Requests holding a concurrency slot.',
      registers,
    }),
    queued: new Gauge({
      name: 'efsink_receiver_requests_queued',
      help: 'Requests waiting for a concurrency slot.',
      registers,
    }),
    memoryBudget: new Gauge({
      name: 'efsink_receiver_memory_budget_bytes',
      help: 'Memory the admitted requests may use together: the memory limit minus idle and queue overhead (src/config/receiver-memory.ts).',
      registers,
    }),
    memoryReserved: new Gauge({
      name: 'efsink_receiver_memory_reserved_bytes',
      help: 'Requests holding a slot × the bound per request (6 × max body + 2 × unwrap budget); never above the budget.',
      registers,
    }),
    assemblies: new Counter({
      name: 'efsink_receiver_assembly_passes_total',
      help: 'Assembly passes run by the receiver, by result (ok, failed).',
      labelNames: ['result'],
      registers,
    }),
    oldestUnassembledAge: new Gauge({
      name: 'efsink_receiver_oldest_unassembled_segment_age_seconds',
      help: 'Landing age of the oldest segment the last completed assembly pass could not assemble (0: none).',
      registers,
    }),
  };
}
