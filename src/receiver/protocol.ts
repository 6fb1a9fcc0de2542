import { codeOf, httpStatusOf } from '../core/error-catalogue.js';
import { MAX_ERROR_MESSAGE_CHARS } from './constants.js';

/** Codes the receiver itself raises (decoder codes come from src/core). Listed in docs/errors.md. */
export const ReceiverErrorCode = {
  unauthorized: 'RECEIVER_UNAUTHORIZED',
  badRequest: 'RECEIVER_BAD_REQUEST',
  bodyTooLarge: 'RECEIVER_BODY_TOO_LARGE',
  overloaded: 'RECEIVER_OVERLOADED',
  shuttingDown: 'RECEIVER_SHUTTING_DOWN',
  writeFailed: 'RECEIVER_WRITE_FAILED',
  /**
   * The client hung up (or Node answered 408 and closed the connection) before the request was read
   * in full. Nothing is sent (nobody is listening) and nothing was written; counted in the metrics.
   */
  clientGone: 'RECEIVER_CLIENT_GONE',
} as const;

/**
 * The error → HTTP status table is the catalogue's `http` column (src/core/error-catalogue.ts).
 * Firehose retries every status except 200 and 413, and sends a request to its S3 backup after a
 * 413 or once retries are exhausted, so: 401/400 are retried (a key rotation or a fixed deploy heals
 * them), 413 is permanent (a body or record we will never accept), 503 says "later", 500 says the
 * write failed (retry). Anything the catalogue gives no status (file-system errors, bugs) is a 500.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 */
export const statusOfCode = httpStatusOf;

export { codeOf };

/** What the server sends: status and the exact JSON body bytes. */
export interface ProtocolResponse {
  readonly status: number;
  readonly body: Buffer;
}

/**
 * The response Firehose requires: `{"requestId", "timestamp"[, "errorMessage"]}` with the request's
 * id (Firehose treats a mismatch as a failure), JSON, at most 1 MiB; `errorMessage` ≤ 8192 chars.
 *
 * @example
 * respond('abc', 1754488800000) // → { status: 200, body: '{"requestId":"abc","timestamp":1754488800000}' }
 */
export function respond(
  requestId: string,
  nowMs: number,
  error?: { code: string; message: string },
): ProtocolResponse {
  if (error === undefined) {
    return { status: 200, body: Buffer.from(JSON.stringify({ requestId, timestamp: nowMs })) };
  }
  const full = `${error.code}: ${error.message}`;
  const errorMessage =
    full.length > MAX_ERROR_MESSAGE_CHARS ? `${full.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…` : full;
  return {
    status: statusOfCode(error.code),
    body: Buffer.from(JSON.stringify({ requestId, timestamp: nowMs, errorMessage })),
  };
}

/** A single header value: Node joins repeated headers for most names; arrays only for a few. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
