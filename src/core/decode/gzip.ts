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
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new EfsinkError(
        CoreErrorCode.tooLarge,
        `${what}: decompressed size exceeds the limit of ${maxBytes} bytes`,
        { cause: err },
      );
    }
    throw new EfsinkError(
      CoreErrorCode.invalidGzip,
      `${what}: invalid or truncated gzip (${(err as Error).message})`,
      { cause: err },
    );
  }
}
