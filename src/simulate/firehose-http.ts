import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeFirehoseRequest } from '../core/decode/firehose-request.js';
import { EfsinkError } from '../core/errors.js';
import { type Batch, type BatchLimits, createBatcher } from './batcher.js';
import type { SimClock } from './clock.js';
import { deliveryQueue, type EmitterStats, newStats, type PathEmitter, sleep } from './emitter.js';
import { SimulateErrorCode } from './errors.js';
import type { DeliveredUnit } from './expected.js';
import type { RenderedLine } from './gateway.js';

/** Firehose's smallest HTTP endpoint buffer (1 MiB) and a 60 s buffer interval. */
export const FIREHOSE_BATCH_DEFAULTS: BatchLimits = {
  maxCount: 10_000,
  maxBytes: 1_048_576,
  maxAgeMs: 60_000,
};

export interface FirehoseHttpEmitterOptions {
  /** The receiver's URL (`efsink serve`). */
  readonly url: string;
  readonly accessKey: string;
  /** Where the lines land; must equal the receiver's `--log-group` (the check uses it). */
  readonly logGroup: string;
  /** @default arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-efsink-sim */
  readonly sourceArn?: string;
  readonly clock: SimClock;
  readonly limits?: BatchLimits;
  /** Content-Encoding: gzip, as a stream with request compression sends. @default false */
  readonly gzip?: boolean;
  /**
   * Every n-th request's 200 is treated as lost (a timeout on Firehose's side), so Firehose sends
   * the same request id again, with a later timestamp. @default 0 (never)
   */
  readonly loseResponseEvery?: number;
  /** Attempts per request before giving up (Firehose retries until its retry duration). @default 8 */
  readonly maxAttempts?: number;
  /** First retry delay, doubled each time. @default 50 */
  readonly retryBaseMs?: number;
}

export const DEFAULT_SOURCE_ARN =
  'arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-efsink-sim';

/**
 * Firehose → HTTP endpoint: lines are buffered (size, count, interval), each buffer is POSTed over
 * real HTTP as `{requestId, timestamp, records:[{data}]}` with Firehose's headers, and any answer
 * other than 200 is retried with the same request id and backoff.
 */
export function createFirehoseHttpEmitter(options: FirehoseHttpEmitterOptions): PathEmitter {
  const batcher = createBatcher<Buffer>(options.limits ?? FIREHOSE_BATCH_DEFAULTS);
  const stats: EmitterStats = newStats();
  const units: DeliveredUnit[] = [];
  const sent: { requestId: string; timestamp: number; records: Buffer[] }[] = [];
  const queue = deliveryQueue();
  const maxAttempts = options.maxAttempts ?? 8;

  const post = async (req: { requestId: string; timestamp: number; records: Buffer[] }) => {
    const json = encodeFirehoseRequest(req);
    const body = options.gzip ? gzipSync(json) : json;
    let last = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        stats.retries++;
        await sleep((options.retryBaseMs ?? 50) * 2 ** (attempt - 2));
      }
      try {
        const res = await fetch(options.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'Amazon Kinesis Data Firehose Agent/1.0',
            'X-Amz-Firehose-Protocol-Version': '1.0',
            'X-Amz-Firehose-Request-Id': req.requestId,
            'X-Amz-Firehose-Source-Arn': options.sourceArn ?? DEFAULT_SOURCE_ARN,
            'X-Amz-Firehose-Access-Key': options.accessKey,
            ...(options.gzip ? { 'Content-Encoding': 'gzip' } : {}),
          },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status === 200) {
          const answer = JSON.parse(text) as { requestId?: unknown };
          if (answer.requestId === req.requestId) return;
          last = `200 with requestId ${JSON.stringify(answer.requestId)}`;
        } else {
          last = `${res.status} ${text.slice(0, 300)}`;
        }
      } catch (err) {
        last = (err as Error).message;
      }
    }
    throw new EfsinkError(
      SimulateErrorCode.deliveryFailed,
      `Firehose request ${req.requestId}: no 200 after ${maxAttempts} attempts; last answer: ${last}`,
    );
  };

  const send = (batch: Batch<Buffer>) => {
    const req = { requestId: randomUUID(), timestamp: options.clock.now(), records: [...batch.items] };
    const n = units.length;
    units.push({
      path: 'firehose-http',
      logGroup: options.logGroup,
      entries: req.records.map((bytes) => ({ bytes, routeMs: req.timestamp })),
    });
    sent.push(req);
    stats.units++;
    const every = options.loseResponseEvery ?? 0;
    const lost = every > 0 && n % every === every - 1;
    // The retry after a lost response carries a later timestamp; the receiver pins the first.
    const retryTimestamp = lost ? options.clock.now() + 90_000 : 0;
    queue.push(async () => {
      await post(req);
      if (lost) {
        stats.redeliveries++;
        await post({ ...req, timestamp: retryTimestamp });
      }
    });
  };

  return {
    path: 'firehose-http',
    logGroup: options.logGroup,
    emit(line: RenderedLine) {
      stats.lines++;
      stats.bytes += line.bytes.length;
      for (const b of batcher.add(line.bytes, line.bytes.length, line.loggedAtMs)) send(b);
    },
    async flush() {
      for (const b of batcher.flush()) send(b);
      await queue.drain();
    },
    async replay(count) {
      const some = sent.slice(0, count);
      for (const req of some) {
        stats.redeliveries++;
        await post(req);
      }
      return some.length;
    },
    units,
    stats,
  };
}
