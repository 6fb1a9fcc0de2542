import type { SQSRecord } from 'aws-lambda';
import { describeReceived, EfsinkError } from '../core/errors.js';

export const INPUT_INVALID_S3_NOTIFICATION = 'INPUT_INVALID_S3_NOTIFICATION';

/** One object an S3 notification announces, with the key decoded. */
export interface S3ObjectRef {
  readonly bucket: string;
  /** The object key, URL-decoded (the notification carries it form-encoded: `+` is a space). */
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly eTag?: string | undefined;
  readonly eventName: string;
}

/**
 * The objects one SQS message body announces: every `ObjectCreated:*` record of the S3 event
 * notification. The `s3:TestEvent` S3 sends when a notification is configured yields none, and so
 * do other event types.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
export function objectsOfSqsMessage(record: Pick<SQSRecord, 'body' | 'messageId'>): S3ObjectRef[] {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw invalid(record.messageId, 'body is not JSON', record.body);
  }
  const b = body as { Event?: unknown; Records?: unknown };
  if (b !== null && typeof b === 'object' && b.Event === 's3:TestEvent') return [];
  if (b === null || typeof b !== 'object' || !Array.isArray(b.Records)) {
    throw invalid(record.messageId, 'body must be an S3 event notification {"Records":[…]}', body);
  }
  const out: S3ObjectRef[] = [];
  b.Records.forEach((r: unknown, i: number) => {
    const rec = r as {
      eventName?: unknown;
      s3?: { bucket?: { name?: unknown }; object?: { key?: unknown; versionId?: unknown; eTag?: unknown } };
    };
    const eventName = rec?.eventName;
    if (typeof eventName !== 'string')
      throw invalid(record.messageId, `Records[${i}].eventName must be a string`, eventName);
    if (!eventName.startsWith('ObjectCreated:')) return;
    const bucket = rec.s3?.bucket?.name;
    const key = rec.s3?.object?.key;
    if (typeof bucket !== 'string' || bucket.length === 0) {
      throw invalid(record.messageId, `Records[${i}].s3.bucket.name must be a non-empty string`, bucket);
    }
    if (typeof key !== 'string' || key.length === 0) {
      throw invalid(record.messageId, `Records[${i}].s3.object.key must be a non-empty string`, key);
    }
    const versionId = rec.s3?.object?.versionId;
    const eTag = rec.s3?.object?.eTag;
    out.push({
      bucket,
      key: decodeS3Key(key, record.messageId),
      versionId: typeof versionId === 'string' && versionId.length > 0 ? versionId : undefined,
      eTag: typeof eTag === 'string' && eTag.length > 0 ? eTag : undefined,
      eventName,
    });
  });
  return out;
}

/** S3 notification keys are form-URL-encoded ("red flower.jpg" arrives as "red+flower.jpg"). */
export function decodeS3Key(encoded: string, messageId = ''): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw invalid(messageId, 'object key is not valid URL encoding', encoded);
  }
}

function invalid(messageId: string, why: string, got: unknown): EfsinkError {
  return new EfsinkError(
    INPUT_INVALID_S3_NOTIFICATION,
    `SQS message ${messageId}: ${why}, got ${describeReceived(got)}`,
    { unit: messageId },
  );
}
