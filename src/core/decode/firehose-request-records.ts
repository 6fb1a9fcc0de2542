import { CoreErrorCode, EfsinkError } from '../errors.js';
import { decodeSubscriptionEnvelope } from './cloudwatch-envelope.js';
import type { SubscriptionPayload } from './cloudwatch-logs.js';
import { gunzipCapped, isGzip } from './gzip.js';

/**
 * One Firehose record, classified: the bytes a producer put (API Gateway access logs delivered
 * straight to Firehose), or a CloudWatch Logs subscription payload (a subscription filter whose
 * destination is the stream: each record is gzip(JSON envelope)).
 */
export type FirehoseRecord =
  | { readonly kind: 'raw'; readonly bytes: Buffer }
  | { readonly kind: 'cloudwatch'; readonly payload: SubscriptionPayload };

/**
 * Recognises CloudWatch Logs subscription payloads among Firehose records and unwraps them.
 *
 * A record is a subscription payload when it starts with the gzip magic number: API Gateway access
 * log lines are text and never start with the bytes 0x1f 0x8b. Such a record must then gunzip
 * (within the budget) to a valid envelope; if it does not, the whole request fails with the
 * decoder's code (DECODE_INVALID_GZIP, DECODE_INVALID_JSON, DECODE_INVALID_ENVELOPE,
 * DECODE_INVALID_EVENT, DECODE_TOO_LARGE) rather than writing compressed bytes into a text log.
 * `maxDecompressedBytes` bounds the sum over all records of one request (gzip-bomb guard).
 *
 * @example
 * classifyFirehoseRecords([Buffer.from('GET /pets 200')], 1 << 20) // → [{ kind: 'raw', bytes }]
 */
export function classifyFirehoseRecords(
  records: readonly Buffer[],
  maxDecompressedBytes: number,
): FirehoseRecord[] {
  let budget = maxDecompressedBytes;
  return records.map((bytes, i): FirehoseRecord => {
    if (!isGzip(bytes)) return { kind: 'raw', bytes };
    const unit = `records[${i}]`;
    try {
      if (budget <= 0) throw budgetExceeded(unit, maxDecompressedBytes);
      const json = gunzipCapped(bytes, budget, `${unit} (gzip)`);
      budget -= json.length;
      return { kind: 'cloudwatch', payload: decodeSubscriptionEnvelope(json) };
    } catch (err) {
      throw recordError(err, unit, maxDecompressedBytes);
    }
  });
}

/**
 * A gunzip that may run off the event loop: resolves to all members of `bytes` decompressed, and
 * rejects with the codes of {@link gunzipCapped} (DECODE_TOO_LARGE past `maxBytes`).
 */
export type GunzipAsync = (bytes: Buffer, maxBytes: number, what: string) => Promise<Buffer>;

/**
 * {@link classifyFirehoseRecords} with the gunzip supplied by the caller, so an adapter can run it
 * on zlib's thread pool (the receiver: a record may decompress to the whole budget, hundreds of MiB,
 * which would stall every other request and `/healthz` for as long). Same results, same codes;
 * records are decompressed one after another, so the budget is exact.
 */
export async function classifyFirehoseRecordsWith(
  records: readonly Buffer[],
  maxDecompressedBytes: number,
  gunzip: GunzipAsync,
): Promise<FirehoseRecord[]> {
  let budget = maxDecompressedBytes;
  const out: FirehoseRecord[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const bytes = records[i] as Buffer;
    if (!isGzip(bytes)) {
      out[i] = { kind: 'raw', bytes };
      continue;
    }
    const unit = `records[${i}]`;
    try {
      if (budget <= 0) throw budgetExceeded(unit, maxDecompressedBytes);
      const json = await gunzip(bytes, budget, `${unit} (gzip)`);
      budget -= json.length;
      out[i] = { kind: 'cloudwatch', payload: decodeSubscriptionEnvelope(json) };
    } catch (err) {
      throw recordError(err, unit, maxDecompressedBytes);
    }
  }
  return out;
}

/** Everything a record's unwrap throws is an EfsinkError (the gunzips and the envelope decoder wrap their causes). */
function recordError(err: unknown, unit: string, maxDecompressedBytes: number): EfsinkError {
  const e = err as EfsinkError;
  const message =
    e.code === CoreErrorCode.tooLarge
      ? budgetExceeded(unit, maxDecompressedBytes).message
      : `${unit}: ${e.message}`;
  return new EfsinkError(e.code, message, { cause: e, unit });
}

function budgetExceeded(unit: string, max: number): EfsinkError {
  return new EfsinkError(
    CoreErrorCode.tooLarge,
    `${unit}: decompressed CloudWatch Logs payloads of this request exceed the limit of ${max} bytes`,
    { unit },
  );
}
