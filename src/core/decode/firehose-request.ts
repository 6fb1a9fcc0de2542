import { CoreErrorCode, describeReceived, EfsinkError } from '../errors.js';
import { decodeBase64Strict } from './base64.js';
import type { JsonValue } from './json-bytes.js';

/**
 * The body Amazon Data Firehose POSTs to an HTTP endpoint destination.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 */
export interface FirehoseRequest {
  /** Opaque GUID, the same across retries of one request (the deduplication key). */
  readonly requestId: string;
  /** Milliseconds since the epoch, as Firehose wrote it. */
  readonly timestamp: number;
  /** Each record's `data`, base64-decoded: the exact bytes the producer put. */
  readonly records: readonly Buffer[];
}

export const FirehoseErrorCode = {
  /** The body is JSON but not `{requestId, timestamp, records:[{data}]}` within the limits. */
  invalidRequest: 'FIREHOSE_INVALID_REQUEST',
} as const;

export interface FirehoseRequestLimits {
  /**
   * Most records accepted in one request. Firehose sends 1 to 10,000 (aws-facts 4.1).
   * @default 10000
   */
  readonly maxRecords?: number;
  /**
   * Largest decoded record. Firehose caps a record at 1,000 KiB before base64 (FH quotas).
   * @default 1024000
   */
  readonly maxRecordBytes?: number;
}

export const FIREHOSE_MAX_RECORDS = 10_000;
export const FIREHOSE_MAX_RECORD_BYTES = 1_024_000;
/** Firehose writes GUIDs (36 chars); anything far longer is not a Firehose request id. */
export const MAX_REQUEST_ID_LENGTH = 256;

/**
 * Decodes and validates a Firehose HTTP endpoint request body (already gunzipped when the request
 * had `Content-Encoding: gzip`). Unknown members (top level and per record) are ignored so that a
 * field AWS adds later does not turn every delivery into a failure; the required ones are checked
 * strictly. Every failure is a coded EfsinkError saying what was received and what is allowed:
 * DECODE_INVALID_JSON, FIREHOSE_INVALID_REQUEST, DECODE_INVALID_BASE64 (with `unit: records[i]`),
 * DECODE_TOO_LARGE.
 *
 * @example
 * decodeFirehoseRequest(Buffer.from('{"requestId":"r","timestamp":1,"records":[{"data":"aGk="}]}'))
 * // → { requestId: 'r', timestamp: 1, records: [<Buffer 68 69>] }
 */
export function decodeFirehoseRequest(body: Buffer, limits: FirehoseRequestLimits = {}): FirehoseRequest {
  const maxRecords = limits.maxRecords ?? FIREHOSE_MAX_RECORDS;
  const maxRecordBytes = limits.maxRecordBytes ?? FIREHOSE_MAX_RECORD_BYTES;
  const root = parseJson(body);
  if (!isObject(root)) throw invalid('the body', 'a JSON object', root);
  const { requestId, timestamp, records } = root;
  if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > MAX_REQUEST_ID_LENGTH) {
    throw invalid(
      'requestId',
      `a non-empty string of at most ${MAX_REQUEST_ID_LENGTH} characters`,
      requestId,
    );
  }
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw invalid('timestamp', 'a non-negative integer (ms since epoch)', timestamp);
  }
  if (!Array.isArray(records)) throw invalid('records', 'an array', records);
  if (records.length > maxRecords) {
    throw new EfsinkError(
      CoreErrorCode.tooLarge,
      `records: ${records.length} records, more than the limit of ${maxRecords}`,
    );
  }
  // The largest base64 text that can decode to maxRecordBytes; checked before decoding.
  const maxBase64Chars = Math.ceil(maxRecordBytes / 3) * 4;
  const decoded: Buffer[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const unit = `records[${i}]`;
    const rec = records[i];
    if (!isObject(rec)) throw invalid(unit, 'an object {"data": "<base64>"}', rec);
    const data = rec.data;
    if (typeof data !== 'string') throw invalid(`${unit}.data`, 'a base64 string', data);
    if (data.length > maxBase64Chars)
      throw recordTooLarge(unit, Math.floor((data.length / 4) * 3), maxRecordBytes);
    let bytes: Buffer;
    try {
      bytes = decodeBase64Strict(data, `${unit}.data`);
    } catch (err) {
      throw withUnit(err as EfsinkError, unit);
    }
    if (bytes.length > maxRecordBytes) throw recordTooLarge(unit, bytes.length, maxRecordBytes);
    decoded[i] = bytes;
  }
  return { requestId, timestamp, records: decoded };
}

/**
 * The inverse of {@link decodeFirehoseRequest}: the body Firehose would send for these records
 * (tests, the benchmark, the demo).
 */
export function encodeFirehoseRequest(request: FirehoseRequest): Buffer {
  const parts = [
    `{"requestId":${JSON.stringify(request.requestId)},"timestamp":${request.timestamp},"records":[`,
  ];
  request.records.forEach((r, i) => {
    parts.push(`${i > 0 ? ',' : ''}{"data":"${r.toString('base64')}"}`);
  });
  parts.push(']}');
  return Buffer.from(parts.join(''), 'utf8');
}

/**
 * JSON.parse, not parseJsonBytes: every member the receiver uses is ASCII (base64 `data`, the
 * request id is compared with its header), so no bytes can be lost to UTF-16, and V8's parser is
 * about 4× faster on an 8 MB body (measured: 30 ms vs 118 ms for 10,000 records of 600 bytes).
 */
function parseJson(body: Buffer): JsonValue {
  try {
    return JSON.parse(body.toString('utf8')) as JsonValue;
  } catch (err) {
    throw new EfsinkError(
      CoreErrorCode.invalidJson,
      `Firehose request body is not JSON (${(err as Error).message})`,
    );
  }
}

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function invalid(field: string, expected: string, got: unknown): EfsinkError {
  return new EfsinkError(
    FirehoseErrorCode.invalidRequest,
    `Firehose request: ${field} must be ${expected}, got ${describeReceived(got)}`,
    field.startsWith('records[') ? { unit: field.replace(/\.data$/, '') } : undefined,
  );
}

function recordTooLarge(unit: string, bytes: number, max: number): EfsinkError {
  return new EfsinkError(
    CoreErrorCode.tooLarge,
    `${unit}: record of ${bytes} bytes exceeds the limit of ${max} bytes (Firehose: 1,000 KiB)`,
    { unit },
  );
}

function withUnit(err: EfsinkError, unit: string): EfsinkError {
  return new EfsinkError(err.code, err.message, { cause: err, unit });
}
