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
    return gunzipSync(bytes, { maxOutputLength: maxBytes, chunkSize: outputChunkSize(bytes, maxBytes) });
  } catch (err) {
    throw gunzipError(err, maxBytes, what);
  }
}

/** zlib's default output chunk. */
const DEFAULT_CHUNK_BYTES = 16 * 1024;
/** Text access logs compress 5-10×; a trailer claiming more than this is not trusted for sizing. */
const MAX_SIZING_RATIO = 64;

/**
 * The output chunk for one gunzip: the size the gzip trailer announces (ISIZE, RFC 1952 §2.3.1: the
 * last member's length mod 2^32), so a single-member stream inflates into one buffer instead of
 * 16 KiB chunks that zlib then concatenates (a copy of the whole output; ~15 % of gunzip time for
 * 2-4 MB CloudWatch payloads, `npm run bench:startup`). Only a size hint: bounded by the cap and by
 * 64 × the input, so a lying trailer costs at most that allocation, and zlib then rejects the stream
 * (it checks ISIZE). A valid last member is never longer than the whole output, so the chunk never
 * outlives its bytes by more than one; more output (earlier members) takes more chunks, and the cap
 * still stops a bomb.
 */
function outputChunkSize(bytes: Uint8Array, maxBytes: number): number {
  if (bytes.length < 18) return DEFAULT_CHUNK_BYTES;
  const n = bytes.length;
  const isize =
    ((bytes[n - 4] as number) |
      ((bytes[n - 3] as number) << 8) |
      ((bytes[n - 2] as number) << 16) |
      ((bytes[n - 1] as number) << 24)) >>>
    0;
  // +1: zlib needs room to see the end of the stream without starting a second chunk.
  return Math.max(DEFAULT_CHUNK_BYTES, Math.min(isize + 1, n * MAX_SIZING_RATIO, maxBytes));
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
