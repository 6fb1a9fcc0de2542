import { isEfsinkError } from '../core/errors.js';
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
 * THE error → HTTP status table (Vector's `errors.rs`). Firehose retries every status except 200 and
 * 413, and sends a request to its S3 backup after a 413 or once retries are exhausted, so:
 * 401/400 are retried (a key rotation or a fixed deploy heals them), 413 is permanent (a body or
 * record we will never accept), 503 says "later", 500 says the write failed (retry).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  RECEIVER_UNAUTHORIZED: 401,
  RECEIVER_BAD_REQUEST: 400,
  FIREHOSE_INVALID_REQUEST: 400,
  DECODE_INVALID_JSON: 400,
  DECODE_INVALID_BASE64: 400,
  DECODE_INVALID_GZIP: 400,
  DECODE_INVALID_ENVELOPE: 400,
  DECODE_INVALID_EVENT: 400,
  LAYOUT_NAME_TOO_LONG: 400,
  LAYOUT_PATH_ESCAPES_ROOT: 400,
  RECEIVER_BODY_TOO_LARGE: 413,
  DECODE_TOO_LARGE: 413,
  RECEIVER_OVERLOADED: 503,
  RECEIVER_SHUTTING_DOWN: 503,
  RECEIVER_WRITE_FAILED: 500,
  // Never sent (the client is gone): nginx's "client closed request", so the metrics tell it apart.
  RECEIVER_CLIENT_GONE: 499,
};

/** The status for an error code; anything unlisted (file-system errors, bugs) is a 500. */
export function statusOfCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** The code of any thrown value: an efsink code, `FS_<errno>` for file-system errors, else INTERNAL. */
export function codeOf(err: unknown): string {
  if (isEfsinkError(err)) return err.code;
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  return typeof errno === 'string' ? `FS_${errno}` : 'INTERNAL';
}

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
