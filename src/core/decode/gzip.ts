import { gunzipSync } from 'node:zlib';
import { CoreErrorCode, EfsinkError } from '../errors.js';

/** True when the bytes start with the gzip magic number (RFC 1952 §2.3.1). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Gunzips all members of a gzip stream (multi-member streams are concatenated, as Firehose and
 * `cat a.gz b.gz` produce) with a hard cap on the output size: a gzip bomb fails with
 * DECODE_TOO_LARGE after at most `maxBytes` of output instead of exhausting memory.
 */
export function gunzipCapped(bytes: Uint8Array, maxBytes: number, what = 'data'): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    throw gunzipError(err, maxBytes, what);
  }
}

/** True for zlib's "output would exceed maxOutputLength" failure. */
export function isOutputTooLarge(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
}

/**
 * The coded error for a failed gunzip capped at `maxBytes` (sync or async zlib alike):
 * DECODE_TOO_LARGE past the cap, DECODE_INVALID_GZIP otherwise.
 */
export function gunzipError(err: unknown, maxBytes: number, what: string): EfsinkError {
  if (isOutputTooLarge(err)) {
    return new EfsinkError(
      CoreErrorCode.tooLarge,
      `${what}: decompressed size exceeds the limit of ${maxBytes} bytes`,
      { cause: err },
    );
  }
  return new EfsinkError(
    CoreErrorCode.invalidGzip,
    `${what}: invalid or truncated gzip (${(err as Error).message})`,
    { cause: err },
  );
}
