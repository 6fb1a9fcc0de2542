import { describeReceived, EfsinkError } from '../errors.js';

/**
 * Lambda asynchronous-invocation records, as an on-failure destination receives them, and the
 * original event inside them.
 *
 * Format (Lambda developer guide, "Capturing records of Lambda asynchronous invocations"):
 * `{"version":"1.0","timestamp":"…","requestContext":{"requestId","functionArn","condition",
 * "approximateInvokeCount"},"requestPayload":<the event>,"responseContext":{…},"responsePayload":…}`.
 * How each destination carries it:
 * - SQS: the record is the message body. SNS: the record is the notification's `Message` (an SQS
 *   queue subscribed to the topic without raw delivery gets the SNS envelope as its body; a Lambda
 *   subscriber gets `{"Records":[{"EventSource":"aws:sns","Sns":{"Message":…}}]}`).
 * - S3 (on failure only): one JSON object per record, `aws/lambda/async/<function>/YYYY/MM/DD/…`.
 * - EventBridge: the record is the event's `detail`.
 * Payload size: Lambda drops the payload from the record when the record would exceed what the
 * destination takes (SNS: 256 KB, "Lambda will drop the payload when sending OnFailure event to the
 * destination", Lambda API reference, OnFailure). An S3 destination gets the entire record.
 */
export const InvocationRecordErrorCode = {
  /** The document is not an invocation record (nor SNS/SQS/EventBridge/CLI output wrapping one). */
  invalid: 'INPUT_INVALID_INVOCATION_RECORD',
  /** The record has no `requestPayload`: Lambda dropped it for the destination's size limit. */
  noPayload: 'INPUT_INVOCATION_RECORD_NO_PAYLOAD',
  /** The payload is not an event an efsink ingest function takes. */
  unsupportedPayload: 'INPUT_UNSUPPORTED_PAYLOAD',
} as const;

export interface InvocationRecord {
  /** Where the record came from, for messages (`file.json`, `file.json#2`, `sqs:<messageId>`). */
  readonly where: string;
  readonly requestId: string;
  readonly functionArn: string | undefined;
  readonly condition: string | undefined;
  readonly timestamp: string | undefined;
  /** The original event; undefined when Lambda left it out (or it was null). */
  readonly requestPayload: unknown;
}

/** One record found in a document, or the coded reason a part of the document is not one. */
export type FoundRecord =
  | { readonly ok: true; readonly record: InvocationRecord }
  | { readonly ok: false; readonly where: string; readonly error: EfsinkError };

/** What the original event is, for the handler that replays it. */
export type ReplayablePayload =
  | { readonly kind: 'cloudwatch'; readonly event: unknown }
  | {
      readonly kind: 's3-sqs';
      readonly messages: readonly { readonly messageId: string; readonly body: string }[];
    };

const MAX_NESTING = 4;

/**
 * Parses the text of a file, stdin or a message body: one JSON document, or JSON Lines (one
 * document per line). Each part that is not JSON is reported and the others still count.
 */
export function invocationRecordsOfText(text: string, where: string): FoundRecord[] {
  try {
    return invocationRecordsOf(JSON.parse(text), where);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  const lines = text.split('\n');
  if (lines.filter((l) => l.trim() !== '').length <= 1) {
    return [{ ok: false, where, error: invalid(where, 'not JSON', text) }];
  }
  const out: FoundRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${where}:${i + 1}`;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      out.push({ ok: false, where: at, error: invalid(at, 'line is not JSON', line) });
      return;
    }
    out.push(...invocationRecordsOf(doc, at));
  });
  return out;
}

/**
 * The invocation records in one parsed document: the record itself, or a record wrapped by SNS
 * (notification envelope, or the SNS event Lambda receives), by EventBridge (`detail`), by an SQS
 * event Lambda receives, or by `aws sqs receive-message` output (`{"Messages":[{"Body":…}]}`).
 */
export function invocationRecordsOf(doc: unknown, where: string, depth = 0): FoundRecord[] {
  if (depth > MAX_NESTING) return [{ ok: false, where, error: invalid(where, 'wrapped too deeply', doc) }];
  if (!isObject(doc)) {
    return [{ ok: false, where, error: invalid(where, 'expected a JSON object', doc) }];
  }
  const nested = (text: unknown, at: string): FoundRecord[] => {
    if (typeof text !== 'string')
      return [{ ok: false, where: at, error: invalid(at, 'expected a string', text) }];
    try {
      return invocationRecordsOf(JSON.parse(text), at, depth + 1);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      return [{ ok: false, where: at, error: invalid(at, 'the wrapped message is not JSON', text) }];
    }
  };
  if (isObject(doc.requestContext)) return [recordOf(doc, where)];
  if (doc.Type === 'Notification' && 'Message' in doc) return nested(doc.Message, where);
  if (typeof doc['detail-type'] === 'string' && isObject(doc.detail))
    return invocationRecordsOf(doc.detail, where, depth + 1);
  if (Array.isArray(doc.Messages)) {
    return doc.Messages.flatMap((m: unknown, i: number) =>
      nested(isObject(m) ? m.Body : undefined, messageWhere(where, m, i)),
    );
  }
  if (Array.isArray(doc.Records) && doc.Records.length > 0) {
    const records = doc.Records as unknown[];
    if (records.every((r) => isObject(r) && r.EventSource === 'aws:sns'))
      return records.flatMap((r, i) =>
        nested((r as { Sns?: { Message?: unknown } }).Sns?.Message, `${where}#${i}`),
      );
    if (records.every((r) => isObject(r) && r.eventSource === 'aws:sqs'))
      return records.flatMap((r, i) => nested((r as { body?: unknown }).body, messageWhere(where, r, i)));
  }
  return [
    {
      ok: false,
      where,
      error: invalid(
        where,
        'not a Lambda invocation record (no requestContext) nor an SNS, SQS or EventBridge message carrying one',
        doc,
      ),
    },
  ];
}

/**
 * The original event of a record, if an efsink ingest function takes it: a CloudWatch Logs
 * subscription event (`{"awslogs":{…}}`, the CloudWatch path's function), or an SQS batch of S3
 * notifications (`{"Records":[{"eventSource":"aws:sqs","messageId","body"}]}`, the S3 path's
 * function). Throws INPUT_INVOCATION_RECORD_NO_PAYLOAD or INPUT_UNSUPPORTED_PAYLOAD otherwise.
 */
export function replayablePayloadOf(record: InvocationRecord): ReplayablePayload {
  const p = record.requestPayload;
  const who = `invocation record ${record.requestId} (${record.functionArn ?? 'unknown function'}, ${record.timestamp ?? 'no timestamp'})`;
  if (p === undefined || p === null) {
    throw new EfsinkError(
      InvocationRecordErrorCode.noPayload,
      `${record.where}: ${who} has no requestPayload: Lambda leaves the payload out when the record exceeds the destination's size limit (SNS 256 KB, SQS 1 MiB; an S3 on-failure destination keeps it). Copy that time range with efsink backfill, then run efsink verify`,
      { unit: record.where },
    );
  }
  if (isObject(p) && isObject(p.awslogs)) return { kind: 'cloudwatch', event: p };
  if (isObject(p) && Array.isArray(p.Records) && p.Records.length > 0) {
    const records = p.Records as unknown[];
    const sqs = records.every(
      (r) =>
        isObject(r) &&
        r.eventSource === 'aws:sqs' &&
        typeof r.messageId === 'string' &&
        typeof r.body === 'string',
    );
    if (sqs) {
      return {
        kind: 's3-sqs',
        messages: records.map((r) => {
          const m = r as { messageId: string; body: string };
          return { messageId: m.messageId, body: m.body };
        }),
      };
    }
  }
  throw new EfsinkError(
    InvocationRecordErrorCode.unsupportedPayload,
    `${record.where}: ${who}: requestPayload is not an event an efsink ingest function takes ({"awslogs":{"data":…}} or {"Records":[{"eventSource":"aws:sqs",…}]}), got ${describeReceived(p)}`,
    { unit: record.where },
  );
}

function recordOf(doc: Record<string, unknown>, where: string): FoundRecord {
  const ctx = doc.requestContext as Record<string, unknown>;
  if (typeof ctx.requestId !== 'string' || ctx.requestId === '') {
    return {
      ok: false,
      where,
      error: invalid(where, 'requestContext.requestId must be a non-empty string', ctx.requestId),
    };
  }
  return {
    ok: true,
    record: {
      where,
      requestId: ctx.requestId,
      functionArn: typeof ctx.functionArn === 'string' ? ctx.functionArn : undefined,
      condition: typeof ctx.condition === 'string' ? ctx.condition : undefined,
      timestamp: typeof doc.timestamp === 'string' ? doc.timestamp : undefined,
      requestPayload: doc.requestPayload,
    },
  };
}

function messageWhere(where: string, m: unknown, i: number): string {
  const id = isObject(m) ? (m.MessageId ?? m.messageId) : undefined;
  return typeof id === 'string' ? `${where}#${id}` : `${where}#${i}`;
}

function invalid(where: string, why: string, got: unknown): EfsinkError {
  return new EfsinkError(
    InvocationRecordErrorCode.invalid,
    `${where}: ${why}, got ${describeReceived(got)}`,
    {
      unit: where,
    },
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
