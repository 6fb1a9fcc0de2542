import type { S3Client } from '@aws-sdk/client-s3';
import type { SinkConfig } from '../config/sink-config.js';
import {
  type FoundRecord,
  invocationRecordsOfText,
  replayablePayloadOf,
} from '../core/decode/invocation-record.js';
import { codeOf } from '../core/error-catalogue.js';
import { isEfsinkError } from '../core/errors.js';
import type { Sink } from '../io/sink.js';
import { ingestCloudWatchLogsEvent } from '../lambda/cloudwatch-logs.js';
import { ingestSqsMessage } from '../lambda/s3-sqs.js';
import type { Logger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';

export interface LambdaReplayDeps {
  readonly config: SinkConfig;
  readonly sink: Sink;
  readonly log: Logger;
  /** The S3 client for SQS batches of S3 notifications (the S3 path), made on first need. */
  readonly s3: () => S3Client;
  /** `{logGroup}` for S3 objects, as the S3 path's EFSINK_LOG_GROUP. @default the delivery stream name */
  readonly logGroup?: string | undefined;
}

/** What replaying one invocation record (or a part of a document that is not one) did. */
export interface RecordOutcome {
  readonly where: string;
  readonly requestId?: string | undefined;
  readonly kind?: 'cloudwatch' | 's3-sqs' | undefined;
  readonly ok: boolean;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  readonly segmentsLanded: number;
  readonly segmentsAlreadyPresent: number;
  readonly bytesWritten: number;
}

/**
 * Replays every invocation record in a text (a file, stdin, an SQS message body): each record's
 * `requestPayload` goes through the live path's own code — `ingestCloudWatchLogsEvent` for a
 * CloudWatch Logs subscription event, `ingestSqsMessage` (the S3 path) for each message of an SQS
 * batch — so the segments get the live path's names and bytes: a payload that already landed (or
 * was assembled) lands as a no-op. A bad part is reported with its code; the others still land.
 * Resolves when every landed segment is durable.
 */
export async function replayInvocationText(
  text: string,
  where: string,
  deps: LambdaReplayDeps,
): Promise<RecordOutcome[]> {
  const outcomes: RecordOutcome[] = [];
  for (const found of invocationRecordsOfText(text, where)) outcomes.push(await replayFound(found, deps));
  return outcomes;
}

async function replayFound(found: FoundRecord, deps: LambdaReplayDeps): Promise<RecordOutcome> {
  const none = { segmentsLanded: 0, segmentsAlreadyPresent: 0, bytesWritten: 0 };
  if (!found.ok) {
    return { where: found.where, ok: false, code: found.error.code, message: found.error.message, ...none };
  }
  const { record } = found;
  const base = { where: record.where, requestId: record.requestId };
  let kind: RecordOutcome['kind'];
  try {
    const payload = replayablePayloadOf(record);
    kind = payload.kind;
    if (payload.kind === 'cloudwatch') {
      const r = await ingestCloudWatchLogsEvent(payload.event, {
        config: deps.config,
        sink: deps.sink,
        log: deps.log,
        metrics: noMetrics,
      });
      return {
        ...base,
        kind,
        ok: true,
        segmentsLanded: r.segmentsLanded,
        segmentsAlreadyPresent: r.segmentsAlreadyPresent,
        bytesWritten: r.bytesWritten,
      };
    }
    const s3Deps = {
      config: deps.config,
      sink: deps.sink,
      s3: deps.s3(),
      log: deps.log,
      metrics: noMetrics,
      logGroup: deps.logGroup,
    };
    let landed = 0;
    let present = 0;
    let bytes = 0;
    // Every message of the batch is tried (as the S3 path's handler does); the first failure is reported.
    let firstFailure: unknown;
    for (const message of payload.messages) {
      try {
        for (const r of await ingestSqsMessage(message, s3Deps)) {
          landed += r.segmentsLanded;
          present += r.segmentsAlreadyPresent;
          bytes += r.bytesWritten;
        }
      } catch (err) {
        if (codeOf(err) === 'INTERNAL' && !isEfsinkError(err)) throw err;
        (err as { replayUnit?: string }).replayUnit = `message ${message.messageId}`;
        firstFailure ??= err;
      }
    }
    if (firstFailure !== undefined) throw firstFailure;
    return {
      ...base,
      kind,
      ok: true,
      segmentsLanded: landed,
      segmentsAlreadyPresent: present,
      bytesWritten: bytes,
    };
  } catch (err) {
    const code = codeOf(err);
    // Neither coded, nor an S3 or file-system error: a bug, which must not pass for a bad record.
    if (code === 'INTERNAL' && !isEfsinkError(err)) throw err;
    const unit = (err as { replayUnit?: string }).replayUnit;
    const message = `${unit ? `${unit}: ` : ''}${(err as Error).message}`;
    deps.log.warn({ where: record.where, requestId: record.requestId, code, err: message }, 'record failed');
    return { ...base, kind, ok: false, code, message, ...none };
  }
}
