import { describeReceived, EfsinkError, isEfsinkError } from '../errors.js';
import { decodeBase64Strict } from './base64.js';
import { MAX_REQUEST_ID_LENGTH } from './firehose-request.js';

/**
 * The objects an HTTP endpoint delivery stream writes to its S3 backup (`S3BackupMode:
 * FailedDataOnly`) once a request's retries run out: error records, one JSON object per failed
 * record, concatenated (one per line in practice). Format (Firehose developer guide, "Data delivery
 * failure handling", HTTP endpoint destination):
 *
 *   {"attemptsMade":5,"arrivalTimestamp":1594265943615,"errorCode":"HttpEndpoint.DestinationException",
 *    "errorMessage":"Received the following response from the endpoint destination. {\"requestId\": …}",
 *    "attemptEndingTimestamp":1594266081318,"rawData":"c2FtcGxlIHJhdyBkYXRh","subsequenceNumber":0,
 *    "dataId":"49607357361271740811418664280693044274821622880012337186.0"}
 *
 * `rawData` is the record exactly as the producer put it, base64. The request id is not a field: it
 * appears only inside `errorMessage`, when the endpoint answered (efsink's answer always names it).
 */
export const FirehoseBackupErrorCode = {
  /** The object is not a sequence of Firehose error records. */
  notErrorRecords: 'INPUT_NOT_FIREHOSE_ERROR_RECORDS',
} as const;

export interface FirehoseErrorRecord {
  /** 0-based position in the object. */
  readonly index: number;
  readonly attemptsMade: number;
  /** When Firehose received the record (ms since the epoch). */
  readonly arrivalTimestamp: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** The original record's bytes. */
  readonly data: Buffer;
  /** The Firehose request id named in `errorMessage` (the endpoint's answer), if any. */
  readonly requestId: string | undefined;
  readonly dataId: string | undefined;
}

/** Firehose caps a record at 1,000 KiB; base64 makes it 4/3 as long (aws-facts 4.1). */
const MAX_RAW_DATA_CHARS = Math.ceil(1_024_000 / 3) * 4;

/**
 * Decodes one backup object (already gunzipped) into its error records, or refuses the whole object
 * with INPUT_NOT_FIREHOSE_ERROR_RECORDS saying which record and why, so that nothing of an object
 * that is not a backup (an access log, another stream's data) is ever landed. An empty object has no
 * records.
 */
export function decodeFirehoseErrorRecords(bytes: Uint8Array, where: string): FirehoseErrorRecord[] {
  const text = Buffer.from(bytes).toString('utf8');
  const out: FirehoseErrorRecord[] = [];
  let pos = 0;
  for (;;) {
    pos = skipWhitespace(text, pos);
    if (pos >= text.length) return out;
    const end = endOfObject(text, pos);
    const index = out.length;
    if (end === undefined) throw refuse(where, index, 'expected a JSON object', text.slice(pos, pos + 60));
    let value: unknown;
    try {
      value = JSON.parse(text.slice(pos, end));
    } catch (err) {
      throw refuse(where, index, `not JSON (${(err as Error).message})`, text.slice(pos, pos + 60));
    }
    out.push(errorRecordOf(value, where, index));
    pos = end;
  }
}

function errorRecordOf(value: unknown, where: string, index: number): FirehoseErrorRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw refuse(where, index, 'expected a JSON object', value);
  const v = value as Record<string, unknown>;
  const nonNegativeInt = (name: string) => {
    const x = v[name];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0)
      throw refuse(where, index, `${name} must be a non-negative integer`, x);
    return x;
  };
  const attemptsMade = nonNegativeInt('attemptsMade');
  const arrivalTimestamp = nonNegativeInt('arrivalTimestamp');
  if (typeof v.errorCode !== 'string' || v.errorCode === '')
    throw refuse(where, index, 'errorCode must be a non-empty string', v.errorCode);
  if (typeof v.errorMessage !== 'string')
    throw refuse(where, index, 'errorMessage must be a string', v.errorMessage);
  if (typeof v.rawData !== 'string') throw refuse(where, index, 'rawData must be a base64 string', v.rawData);
  if (v.rawData.length > MAX_RAW_DATA_CHARS)
    throw refuse(
      where,
      index,
      `rawData is over Firehose's 1,000 KiB record limit`,
      `${v.rawData.length} chars`,
    );
  let data: Buffer;
  try {
    data = decodeBase64Strict(v.rawData, `${where} record ${index} rawData`);
  } catch (err) {
    if (!isEfsinkError(err)) throw err;
    throw refuse(where, index, err.message, undefined);
  }
  return {
    index,
    attemptsMade,
    arrivalTimestamp,
    errorCode: v.errorCode,
    errorMessage: v.errorMessage,
    data,
    requestId: requestIdOf(v.errorMessage),
    dataId: typeof v.dataId === 'string' ? v.dataId : undefined,
  };
}

/**
 * The request id inside an HTTP endpoint error message: Firehose quotes the endpoint's answer
 * ("… response from the endpoint destination. 500: {"requestId": "…", "timestamp": …}"), and the
 * answer must echo the request's id (Firehose HTTP endpoint spec).
 */
export function requestIdOf(errorMessage: string): string | undefined {
  const m = /"requestId"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(errorMessage);
  if (m === null) return undefined;
  try {
    const id = JSON.parse(`"${m[1]}"`) as string;
    return id.length > 0 && id.length <= MAX_REQUEST_ID_LENGTH ? id : undefined;
  } catch {
    return undefined;
  }
}

function skipWhitespace(text: string, pos: number): number {
  while (pos < text.length && ' \t\r\n'.includes(text[pos] as string)) pos++;
  return pos;
}

/** Index just past the JSON object starting at `start`, or undefined if none starts there. */
function endOfObject(text: string, start: number): number | undefined {
  if (text[start] !== '{') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

function refuse(where: string, index: number, why: string, got: unknown): EfsinkError {
  return new EfsinkError(
    FirehoseBackupErrorCode.notErrorRecords,
    `${where}: not a Firehose error-record object (record ${index}: ${why}${got === undefined ? '' : `, got ${describeReceived(got)}`}); nothing of it was landed`,
    { unit: where },
  );
}
