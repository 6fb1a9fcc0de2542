import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { SinkConfig } from '../config/sink-config.js';
import { gunzipCapped, isGzip } from '../core/decode/gzip.js';
import { codeOf } from '../core/error-catalogue.js';
import { CoreErrorCode, EfsinkError } from '../core/errors.js';
import { parseFirehoseObjectName, planFirehoseObject } from '../core/write/plan-firehose.js';
import type { UnitPlan } from '../core/write/plan-segments.js';
import type { Sink } from '../io/sink.js';
import type { Logger } from '../observability/logger.js';
import { MetricName, type Metrics } from '../observability/metrics.js';
import { objectsOfSqsMessage, type S3ObjectRef } from './s3-sqs-event.js';

export interface S3IngestDeps {
  readonly config: SinkConfig;
  readonly sink: Sink;
  readonly s3: S3Client;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** `{logGroup}` of the output path. @default the delivery stream name in the object's name */
  readonly logGroup?: string | undefined;
}

export interface S3IngestResult {
  readonly bucket: string;
  readonly key: string;
  readonly unitId: string;
  readonly bytesRead: number;
  readonly segmentsLanded: number;
  readonly segmentsAlreadyPresent: number;
  readonly bytesWritten: number;
}

/**
 * Reads one S3 object written by Firehose and plans it: GetObject (by version id when given), the
 * size cap, gunzip when the bytes are gzip (all members), and ONE entry for the whole object (see
 * planFirehoseObject for why an object is not split into records). Hour: the time in the Firehose
 * object name, else LastModified. Identity: bucket + key + version id, else the ETag of the bytes
 * actually read. The S3 path's ingest and `efsink verify s3` both read objects through this.
 */
export async function readS3ObjectPlan(
  s3: S3Client,
  ref: Pick<S3ObjectRef, 'bucket' | 'key'> & {
    readonly versionId?: string | undefined;
    readonly eTag?: string | undefined;
  },
  config: Pick<SinkConfig, 'maxDecompressedBytes' | 'template'>,
  logGroup: string | undefined,
): Promise<{ plan: UnitPlan; bytesRead: number }> {
  const object = await s3.send(
    new GetObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      ...(ref.versionId ? { VersionId: ref.versionId } : {}),
    }),
  );
  if (object.ContentLength !== undefined && object.ContentLength > config.maxDecompressedBytes) {
    throw new EfsinkError(
      CoreErrorCode.tooLarge,
      `s3://${ref.bucket}/${ref.key}: object of ${object.ContentLength} bytes exceeds the limit of ${config.maxDecompressedBytes} bytes`,
    );
  }
  const raw = Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array(0));
  const bytes = isGzip(raw)
    ? gunzipCapped(raw, config.maxDecompressedBytes, `s3://${ref.bucket}/${ref.key}`)
    : raw;
  const name = parseFirehoseObjectName(ref.key);
  const timestampMs = name?.timestampMs ?? object.LastModified?.getTime();
  if (timestampMs === undefined) {
    throw new EfsinkError(
      'INPUT_INVALID_S3_OBJECT',
      `s3://${ref.bucket}/${ref.key}: not a Firehose object name and no LastModified to route by`,
    );
  }
  const identity = {
    bucket: ref.bucket,
    key: ref.key,
    versionId: ref.versionId ?? object.VersionId,
    eTag: object.ETag ?? ref.eTag,
  };
  const plan = planFirehoseObject(identity, bytes, timestampMs, config.template, {
    logGroup,
    source: name?.deliveryStreamName,
  });
  return { plan, bytesRead: raw.length };
}

/** Lands one S3 object written by Firehose ({@link readS3ObjectPlan}); resolves only when it is durable. */
export async function ingestS3Object(
  ref: Omit<S3ObjectRef, 'eventName'>,
  deps: S3IngestDeps,
): Promise<S3IngestResult> {
  const { config, sink, s3, log, metrics } = deps;
  const { plan, bytesRead } = await readS3ObjectPlan(s3, ref, config, deps.logGroup);
  const landed = await sink.land(plan);
  metrics.count(MetricName.eventsReceived, plan.entryCount);
  metrics.count(MetricName.bytesWritten, landed.bytes);
  metrics.count(MetricName.segmentsLanded, landed.landed);
  if (landed.landed === 0 && landed.alreadyPresent > 0) metrics.count(MetricName.duplicateUnits, 1);
  const result = {
    bucket: ref.bucket,
    key: ref.key,
    unitId: plan.unitId,
    bytesRead,
    segmentsLanded: landed.landed,
    segmentsAlreadyPresent: landed.alreadyPresent,
    bytesWritten: landed.bytes,
  };
  log.info(result, 'object landed');
  return result;
}

/**
 * SQS (S3 event notifications) → EFS, with partial batch responses: every record of every message
 * is landed; a message fails (its id is reported in `batchItemFailures`, so only it is retried and
 * eventually dead-lettered) when any of its objects fails. Messages are handled one after another,
 * so memory is bounded by one object. Never throws for a bad message: a throw would retry the whole
 * batch, good messages included.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export async function handleS3SqsEvent(event: SQSEvent, deps: S3IngestDeps): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  for (const message of event.Records ?? []) {
    try {
      await ingestSqsMessage(message, deps);
    } catch (err) {
      const code = codeOf(err);
      deps.metrics.count(MetricName.failures, 1, { errorCode: code });
      deps.log.error({ messageId: message.messageId, code, err: (err as Error).message }, 'message failed');
      failures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/**
 * Lands every object one SQS message announces (its S3 notification's `ObjectCreated:*` records);
 * resolves when all are durable, rejects with the first failure. `efsink replay lambda-failures`
 * calls this too, for SQS batches found in invocation records.
 */
export async function ingestSqsMessage(
  message: Pick<SQSRecord, 'body' | 'messageId'>,
  deps: S3IngestDeps,
): Promise<S3IngestResult[]> {
  const objects = objectsOfSqsMessage(message);
  if (objects.length === 0)
    deps.log.info({ messageId: message.messageId }, 'no object to ingest (test event or other type)');
  const results: S3IngestResult[] = [];
  for (const ref of objects) results.push(await ingestS3Object(ref, deps));
  return results;
}
