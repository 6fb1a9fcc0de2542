import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import type { GunzipAsync } from '../core/decode/firehose-request-records.js';
import { gunzipError, isOutputTooLarge } from '../core/decode/gzip.js';

const gunzipOnThreadPool = promisify(gunzip);

/**
 * Outputs up to this size are decompressed in place on the event loop; a larger output is
 * decompressed again on zlib's thread pool. Measured (`npm run bench:gunzip`, bench/README.md):
 * one thread-pool gunzip takes 6.4 × a sync one at 1.4 KB of output, 2.3 × at 8.8 KB and 1.6 × at
 * 69 KB (the round trip dominates small calls), and a 69 KB sync gunzip holds the loop for about
 * 72 µs. Work wasted when an output turns out larger: at most this much, decompressed twice.
 */
export const SYNC_GUNZIP_MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * After this much output of back-to-back record gunzips the receiver lets the event loop run
 * (setImmediate): thousands of small in-place gunzips of one request would otherwise hold it as
 * long as one large one (awaiting a resolved promise does not let I/O in). About 1 ms of work
 * (bench: 0.9 ms per MiB).
 */
export const GUNZIP_YIELD_EVERY_BYTES = 1024 * 1024;

export interface GunzipOptions {
  /** Override of {@link SYNC_GUNZIP_MAX_OUTPUT_BYTES} (0: always off the event loop). */
  readonly syncMaxOutputBytes?: number;
  /** Called as a gunzip starts on the thread pool (tests: what happens meanwhile). */
  readonly onOffLoop?: (what: string) => void;
}

/**
 * Gunzips all members of `bytes`, capped at `maxBytes` of output (DECODE_TOO_LARGE past it,
 * DECODE_INVALID_GZIP for bad input, as `gunzipCapped`), without holding the event loop for a
 * large output: small outputs in place, anything over the small cap with zlib's async API (libuv
 * thread pool) and `maxOutputLength`, so a gzip bomb stops at the cap there as well.
 */
export async function gunzipOffLoop(
  bytes: Buffer,
  maxBytes: number,
  what: string,
  options: GunzipOptions = {},
): Promise<Buffer> {
  const syncCap = Math.min(options.syncMaxOutputBytes ?? SYNC_GUNZIP_MAX_OUTPUT_BYTES, maxBytes);
  if (syncCap > 0) {
    try {
      return gunzipSync(bytes, { maxOutputLength: syncCap });
    } catch (err) {
      // Larger than the small cap but maybe within maxBytes: decompress it again off the loop.
      if (!isOutputTooLarge(err) || syncCap >= maxBytes) throw gunzipError(err, maxBytes, what);
    }
  }
  options.onOffLoop?.(what);
  try {
    return await gunzipOnThreadPool(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    throw gunzipError(err, maxBytes, what);
  }
}

/**
 * The record gunzip of one request: {@link gunzipOffLoop}, yielding to the event loop after every
 * {@link GUNZIP_YIELD_EVERY_BYTES} of output.
 */
export function recordGunzip(options: GunzipOptions = {}): GunzipAsync {
  let sinceYield = 0;
  return async (bytes, maxBytes, what) => {
    if (sinceYield >= GUNZIP_YIELD_EVERY_BYTES) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const out = await gunzipOffLoop(bytes, maxBytes, what, options);
    sinceYield += out.length;
    return out;
  };
}
