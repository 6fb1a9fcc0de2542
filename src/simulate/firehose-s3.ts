import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EfsinkError } from '../core/errors.js';
import { type Batch, type BatchLimits, createBatcher } from './batcher.js';
import type { SimClock } from './clock.js';
import { deliveryQueue, type EmitterStats, newStats, type PathEmitter, sleep } from './emitter.js';
import { SimulateErrorCode } from './errors.js';
import type { DeliveredUnit } from './expected.js';
import type { RenderedLine } from './gateway.js';

/** Firehose's S3 defaults: 5 MiB buffer size, 300 s buffer interval. */
export const FIREHOSE_S3_BATCH_DEFAULTS: BatchLimits = {
  maxCount: 1_000_000,
  maxBytes: 5 * 1_048_576,
  maxAgeMs: 300_000,
};
/** SQS redelivers a message whose processing failed (after its visibility timeout). */
const SQS_ATTEMPTS = 3;

export interface FirehoseS3EmitterOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Delivery stream name; API Gateway requires the `amazon-apigateway-` prefix. */
  readonly streamName: string;
  /** Where the lines land; the S3 handler's `logGroup` (the check uses it). */
  readonly logGroup: string;
  readonly clock: SimClock;
  readonly limits?: BatchLimits;
  /** GZIP object compression (the key gets `.gz`). @default false */
  readonly gzip?: boolean;
  /** The SQS-triggered Lambda code: `handleS3SqsEvent` bound to a sink and an S3 client. */
  readonly handle: (event: SQSEvent) => Promise<SQSBatchResponse>;
  /** Every n-th object is announced twice (S3 notifications are at-least-once). @default 0 */
  readonly duplicateEvery?: number;
  /** @default us-east-1 */
  readonly region?: string;
}

const p2 = (n: number) => String(n).padStart(2, '0');

/**
 * The S3 key Firehose gives an object with the default prefix:
 * `YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-mm-ss-<uuid>` (UTC).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html
 */
export function firehoseObjectKey(streamName: string, atMs: number, uuid: string, extension = ''): string {
  const d = new Date(atMs);
  const [y, mo, day, h, mi, s] = [
    String(d.getUTCFullYear()),
    p2(d.getUTCMonth() + 1),
    p2(d.getUTCDate()),
    p2(d.getUTCHours()),
    p2(d.getUTCMinutes()),
    p2(d.getUTCSeconds()),
  ];
  return `${y}/${mo}/${day}/${h}/${streamName}-1-${y}-${mo}-${day}-${h}-${mi}-${s}-${uuid}${extension}`;
}

/** S3 notification keys are form-URL-encoded (a space is `+`). */
export function formEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** One SQS message carrying an S3 `ObjectCreated:Put` notification, as Lambda receives it. */
export function s3NotificationRecord(
  bucket: string,
  key: string,
  size: number,
  eTag: string | undefined,
  atMs: number,
  region = 'us-east-1',
): SQSRecord {
  const body = {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date(atMs).toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AROAEXAMPLE:firehose' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'efsink-firehose-objects',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: formEncodeKey(key),
            size,
            ...(eTag ? { eTag: eTag.replace(/"/g, '') } : {}),
            sequencer: atMs.toString(16).toUpperCase().padStart(16, '0'),
          },
        },
      },
    ],
  };
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: `sim-${messageId}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(atMs),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(atMs),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:123456789012:efsink-firehose-objects`,
    awsRegion: region,
  };
}

/**
 * Firehose → S3 → SQS → Lambda: lines are buffered (size, interval), each buffer becomes one S3
 * object (records concatenated with no delimiter, optionally GZIP) PUT to the S3-compatible server
 * under Firehose's key format, then an SQS event announcing it is handed to the real S3/SQS
 * handler code; failed messages are redelivered like SQS does.
 */
export function createFirehoseS3Emitter(options: FirehoseS3EmitterOptions): PathEmitter {
  const batcher = createBatcher<Buffer>(options.limits ?? FIREHOSE_S3_BATCH_DEFAULTS);
  const stats: EmitterStats = newStats();
  const units: DeliveredUnit[] = [];
  const announced: SQSRecord[] = [];
  const queue = deliveryQueue();
  let lastNameMs = 0;

  const handle = async (record: SQSRecord, what: string) => {
    let failed = '';
    for (let attempt = 1; attempt <= SQS_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        stats.retries++;
        await sleep(50 * attempt);
      }
      const response = await options.handle({
        Records: [
          { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(attempt) } },
        ],
      });
      if (response.batchItemFailures.length === 0) return;
      failed = response.batchItemFailures.map((f) => f.itemIdentifier).join(',');
    }
    throw new EfsinkError(
      SimulateErrorCode.deliveryFailed,
      `${what}: SQS message ${failed} failed ${SQS_ATTEMPTS} times`,
    );
  };

  const send = (batch: Batch<Buffer>) => {
    // Object names carry whole seconds; keep them strictly increasing so no two objects of one
    // hour tie (the expected file order is then defined by time alone).
    const nameMs = Math.max(Math.floor(options.clock.now() / 1000) * 1000, lastNameMs + 1000);
    lastNameMs = nameMs;
    const key = firehoseObjectKey(options.streamName, nameMs, randomUUID(), options.gzip ? '.gz' : '');
    const content = Buffer.concat(batch.items);
    const n = units.length;
    units.push({
      path: 'firehose-s3',
      logGroup: options.logGroup,
      entries: [{ bytes: content, routeMs: nameMs }],
    });
    stats.units++;
    const twice =
      options.duplicateEvery !== undefined &&
      options.duplicateEvery > 0 &&
      n % options.duplicateEvery === options.duplicateEvery - 1;
    queue.push(async () => {
      const body = options.gzip ? gzipSync(content) : content;
      const put = await options.s3.send(
        new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: body, ContentLength: body.length }),
      );
      const record = s3NotificationRecord(options.bucket, key, body.length, put.ETag, nameMs, options.region);
      announced.push(record);
      await handle(record, `s3://${options.bucket}/${key}`);
      if (twice) {
        stats.redeliveries++;
        await handle(
          { ...record, messageId: randomUUID() },
          `s3://${options.bucket}/${key} (duplicate notification)`,
        );
      }
    });
  };

  return {
    path: 'firehose-s3',
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
      const some = announced.slice(0, count);
      for (const record of some) {
        stats.redeliveries++;
        await handle({ ...record, messageId: randomUUID() }, 'replayed notification');
      }
      return some.length;
    },
    units,
    stats,
  };
}
