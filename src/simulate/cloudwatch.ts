import { createHash } from 'node:crypto';
import { encodeSubscriptionEvent, syntheticEventId } from '../core/encode/cloudwatch-logs.js';
import { EfsinkError } from '../core/errors.js';
import { type Batch, type Batcher, type BatchLimits, createBatcher } from './batcher.js';
import { deliveryQueue, type EmitterStats, newStats, type PathEmitter } from './emitter.js';
import { SimulateErrorCode } from './errors.js';
import type { DeliveredUnit } from './expected.js';
import type { RenderedLine } from './gateway.js';

/**
 * CloudWatch Logs limits per subscription payload as modelled here: PutLogEvents batches (≤ 10,000
 * events, ≤ 1,048,576 bytes counting 26 bytes of overhead per event) and a short delivery delay.
 */
export const CLOUDWATCH_BATCH_DEFAULTS: BatchLimits = {
  maxCount: 10_000,
  maxBytes: 1_048_576,
  maxAgeMs: 1_000,
};
/** PutLogEvents counts each event's UTF-8 size plus 26 bytes. */
export const CLOUDWATCH_EVENT_OVERHEAD = 26;
/** Lambda retries a failed asynchronous invocation twice. */
const LAMBDA_ATTEMPTS = 3;

export interface CloudWatchEmitterOptions {
  readonly logGroup: string;
  /** Log streams the lines are spread over (API Gateway writes several per stage). @default 3 */
  readonly streams?: number;
  readonly limits?: BatchLimits;
  /** The subscription's Lambda code: `ingestCloudWatchLogsEvent` bound to a sink. */
  readonly invoke: (event: { awslogs: { data: string } }) => Promise<unknown>;
  /** Every n-th payload is invoked twice in a row (at-least-once). @default 0 (never) */
  readonly duplicateEvery?: number;
  readonly owner?: string;
}

interface PendingEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: Buffer;
}

/**
 * CloudWatch Logs subscription → Lambda: lines are spread over log streams (by request id, as a
 * stable hash), each stream batches its events (count, bytes, time), event ids grow per stream,
 * the event timestamp is when the line was logged, and each payload (`{"awslogs":{"data":…}}`,
 * gzip + base64) is handed to the real handler code, with Lambda's retries.
 */
export function createCloudWatchEmitter(options: CloudWatchEmitterOptions): PathEmitter {
  const streamCount = options.streams ?? 3;
  const limits = options.limits ?? CLOUDWATCH_BATCH_DEFAULTS;
  const streams = Array.from({ length: streamCount }, (_, i) => ({
    name: createHash('sha256').update(`${options.logGroup}\0${i}`).digest('hex').slice(0, 32),
    batcher: createBatcher<PendingEvent>(limits) as Batcher<PendingEvent>,
    seq: 0,
  }));
  const stats: EmitterStats = newStats();
  const units: DeliveredUnit[] = [];
  const sent: { awslogs: { data: string } }[] = [];
  const queue = deliveryQueue();

  const invoke = async (event: { awslogs: { data: string } }, what: string) => {
    let last: unknown;
    for (let attempt = 1; attempt <= LAMBDA_ATTEMPTS; attempt++) {
      try {
        await options.invoke(event);
        return;
      } catch (err) {
        last = err;
        if (attempt < LAMBDA_ATTEMPTS) stats.retries++;
      }
    }
    throw new EfsinkError(
      SimulateErrorCode.deliveryFailed,
      `${what}: the handler failed ${LAMBDA_ATTEMPTS} times: ${(last as Error).message}`,
      { cause: last },
    );
  };

  const send = (stream: string, batch: Batch<PendingEvent>) => {
    const event = encodeSubscriptionEvent({
      logGroup: options.logGroup,
      logStream: stream,
      owner: options.owner ?? '123456789012',
      subscriptionFilters: ['efsink-simulate'],
      logEvents: batch.items.map((e) => ({ id: e.id, timestamp: e.timestamp, message: e.message })),
    });
    const n = units.length;
    units.push({
      path: 'cloudwatch',
      logGroup: options.logGroup,
      entries: batch.items.map((e) => ({ bytes: e.message, routeMs: e.timestamp })),
    });
    sent.push(event);
    stats.units++;
    const twice =
      options.duplicateEvery !== undefined &&
      options.duplicateEvery > 0 &&
      n % options.duplicateEvery === options.duplicateEvery - 1;
    queue.push(async () => {
      await invoke(event, `payload ${n} (${stream})`);
      if (twice) {
        stats.redeliveries++;
        await invoke(event, `payload ${n} (${stream}, redelivered)`);
      }
    });
  };

  const tickAll = (atMs: number) => {
    for (const s of streams) for (const b of s.batcher.tick(atMs)) send(s.name, b);
  };

  return {
    path: 'cloudwatch',
    logGroup: options.logGroup,
    emit(line: RenderedLine) {
      tickAll(line.loggedAtMs);
      const pick = createHash('sha256').update(line.bytes).digest()[0] as number;
      const s = streams[pick % streams.length] as (typeof streams)[number];
      const ev = {
        id: syntheticEventId(line.loggedAtMs, s.seq++),
        timestamp: line.loggedAtMs,
        message: line.bytes,
      };
      stats.lines++;
      stats.bytes += line.bytes.length;
      for (const b of s.batcher.add(ev, line.bytes.length + CLOUDWATCH_EVENT_OVERHEAD, line.loggedAtMs))
        send(s.name, b);
    },
    async flush() {
      for (const s of streams) for (const b of s.batcher.flush()) send(s.name, b);
      await queue.drain();
    },
    async replay(count) {
      const some = sent.slice(0, count);
      for (const [i, event] of some.entries()) {
        stats.redeliveries++;
        await invoke(event, `payload ${i} (replayed)`);
      }
      return some.length;
    },
    units,
    stats,
  };
}
