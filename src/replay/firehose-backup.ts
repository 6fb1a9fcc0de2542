import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SinkConfig } from '../config/sink-config.js';
import { decodeFirehoseErrorRecords, type FirehoseErrorRecord } from '../core/decode/firehose-backup.js';
import { classifyFirehoseRecords, type FirehoseRecord } from '../core/decode/firehose-request-records.js';
import { gunzipCapped, isGzip } from '../core/decode/gzip.js';
import { CoreErrorCode, EfsinkError } from '../core/errors.js';
import { parseFirehoseObjectName, planFirehoseRecords } from '../core/write/plan-firehose.js';
import { type SegmentPlan, unitIdOf } from '../core/write/plan-segments.js';
import { unitHasSegment } from '../io/coverage.js';
import type { Sink } from '../io/sink.js';
import type { Logger } from '../observability/logger.js';
import type { RequestPins } from '../receiver/request-pins.js';

export interface FirehoseBackupDeps {
  readonly config: SinkConfig;
  readonly sink: Sink;
  readonly s3: S3Client;
  readonly pins: RequestPins;
  readonly log: Logger;
  /** `{logGroup}` of direct records, as the receiver's `--log-group`. @default the delivery stream name */
  readonly logGroup?: string | undefined;
  /** `{source}` when the object's name is not a Firehose object name. */
  readonly deliveryStream?: string | undefined;
}

/** What replaying one backup object did (the shape `backfillS3` counts). */
export interface BackupObjectResult {
  readonly bucket: string;
  readonly key: string;
  readonly records: number;
  readonly bytesRead: number;
  readonly segmentsLanded: number;
  readonly segmentsAlreadyPresent: number;
  /** Segments left out because the receiver had already landed that request's records for that file. */
  readonly segmentsLandedByReceiver: number;
  readonly bytesWritten: number;
}

/**
 * Re-lands the records of one Firehose HTTP endpoint backup object exactly as the receiver would
 * have landed them (ADR 0011):
 * - decode every error record first (refusing the whole object, INPUT_NOT_FIREHOSE_ERROR_RECORDS,
 *   if one is not), then the records of each request id named in the error messages are one unit;
 * - framing and routing are the receiver's (`classifyFirehoseRecords` + `planFirehoseRecords`):
 *   each record one entry, CloudWatch Logs payloads unwrapped and routed by their own events,
 *   direct records to the hour of the request's timestamp — the one the receiver pinned for that
 *   request id if it saw it, else pinned now from the earliest `arrivalTimestamp` (the request's
 *   own timestamp is not in the backup), so every replay routes alike;
 * - identity: `firehose-backup` + bucket + key + (version id, else ETag) + request id, so replaying
 *   the object again (or resuming after a crash) lands the same names: a no-op;
 * - a segment whose output file already holds a segment of the receiver's own unit for that
 *   request id (`firehose` + request id) is left out: the receiver landed those records before
 *   Firehose gave up on the request.
 * Resolves when every segment is durable.
 */
export async function replayFirehoseBackupObject(
  ref: { bucket: string; key: string; eTag?: string | undefined },
  deps: FirehoseBackupDeps,
): Promise<BackupObjectResult> {
  const { config, sink } = deps;
  const where = `s3://${ref.bucket}/${ref.key}`;
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  if (object.ContentLength !== undefined && object.ContentLength > config.maxDecompressedBytes) {
    throw new EfsinkError(
      CoreErrorCode.tooLarge,
      `${where}: object of ${object.ContentLength} bytes exceeds the limit of ${config.maxDecompressedBytes} bytes`,
    );
  }
  const raw = Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array(0));
  const bytes = isGzip(raw) ? gunzipCapped(raw, config.maxDecompressedBytes, where) : raw;
  const errorRecords = decodeFirehoseErrorRecords(bytes, where);
  const source = parseFirehoseObjectName(ref.key)?.deliveryStreamName ?? deps.deliveryStream;
  if (source === undefined && deps.logGroup === undefined) {
    throw new EfsinkError(
      'INPUT_INVALID_S3_OBJECT',
      `${where}: not a Firehose object name, so the delivery stream is unknown: pass --delivery-stream NAME or --log-group NAME`,
    );
  }
  const version = object.VersionId ? `v:${object.VersionId}` : `e:${object.ETag ?? ref.eTag ?? ''}`;

  // Decode everything before landing anything: a bad record fails the object, never half of it. One
  // decompression budget for the whole object, as the receiver has one per request.
  const classified = classifyFirehoseRecords(
    errorRecords.map((r) => r.data),
    config.maxDecompressedBytes,
  );
  const groups = [...groupByRequest(errorRecords)].map(([requestId, recs]) => ({
    requestId,
    recs,
    records: recs.map((r) => classified[r.index] as FirehoseRecord),
  }));

  let landed = 0;
  let present = 0;
  let byReceiver = 0;
  let written = 0;
  for (const g of groups) {
    const earliest = Math.min(...g.recs.map((r) => r.arrivalTimestamp));
    const receiverUnit = g.requestId === undefined ? undefined : unitIdOf('firehose', [g.requestId]);
    const usesRequestTime = config.template.usesTime && g.records.some((r) => r.kind === 'raw');
    // The receiver's rule: the first timestamp seen for a request id is pinned before anything lands.
    const timestampMs =
      receiverUnit !== undefined && usesRequestTime ? await deps.pins.pin(receiverUnit, earliest) : earliest;
    const unitId = unitIdOf('firehose-backup', [ref.bucket, ref.key, version, g.requestId ?? '']);
    const plan = planFirehoseRecords(unitId, timestampMs, g.records, config.template, {
      logGroup: deps.logGroup,
      source,
    });
    const segments: SegmentPlan[] = [];
    for (const seg of plan.segments) {
      if (receiverUnit !== undefined && (await unitHasSegment(sink.layout, seg.relPath, receiverUnit)))
        byReceiver++;
      else segments.push(seg);
    }
    const r = await sink.land({ ...plan, segments });
    landed += r.landed;
    present += r.alreadyPresent;
    written += r.bytes;
  }
  const result = {
    bucket: ref.bucket,
    key: ref.key,
    records: errorRecords.length,
    bytesRead: raw.length,
    segmentsLanded: landed,
    segmentsAlreadyPresent: present,
    segmentsLandedByReceiver: byReceiver,
    bytesWritten: written,
  };
  deps.log.info(result, 'backup object replayed');
  return result;
}

/** Records by the request id their error message names (undefined: none), in order of first appearance. */
function groupByRequest(
  records: readonly FirehoseErrorRecord[],
): Map<string | undefined, FirehoseErrorRecord[]> {
  const groups = new Map<string | undefined, FirehoseErrorRecord[]>();
  for (const r of records) {
    const list = groups.get(r.requestId);
    if (list === undefined) groups.set(r.requestId, [r]);
    else list.push(r);
  }
  return groups;
}
