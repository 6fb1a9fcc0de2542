/**
 * The receiver's memory bound: how many requests may be read, decoded and landed at once in a given
 * amount of memory (issue 11, item 9). Shared by `efsink serve` (its defaults and its start-up check)
 * and the `FirehoseHttpEndpointToEfs` construct (the concurrency it passes for the task's memory), so
 * the two can never disagree.
 *
 * ```
 * perRequestBytes = BODY_COPIES × maxBodyBytes + UNWRAP_COPIES × maxDecompressedBytes
 * overheadBytes   = IDLE_BYTES + maxQueuedRequests × QUEUED_REQUEST_BYTES
 * maxConcurrentRequests ≤ floor((memoryLimitBytes − overheadBytes) / perRequestBytes)
 * ```
 */

const MiB = 1024 * 1024;

/**
 * Peak bytes one request holds per byte of its (decompressed) body: the chunks and their
 * concatenation, the UTF-8 string for JSON.parse, the base64 strings, the decoded records and the
 * framed segment. Measured 5.3 × at 8.5 MB bodies, 8 at once (`npm run bench:receiver`, memory run,
 * bench/README.md); 6 leaves room.
 */
export const BODY_COPIES = 6;

/**
 * Peak bytes per byte of unwrapped CloudWatch Logs payload (decompressed envelope JSON, its parse,
 * the event messages, the framed segment). Measured (one request in process, RSS high-water mark):
 * 63 MiB for 32 MiB unwrapped and 128 MiB for 64 MiB, body included: ≤ 2 ×.
 */
export const UNWRAP_COPIES = 2;

/**
 * What `efsink serve` holds before any request: its steady idle RSS is 76–78 MB (`npm run
 * bench:receiver`), but its high-water mark after start-up is already 94–96 MiB (`node
 * bench/memory-bound.mjs`), so 128 MiB.
 */
export const IDLE_BYTES = 128 * MiB;

/**
 * What a queued request can hold while it waits with its body unread: its headers (up to the 128 KiB
 * the receiver allows) and the socket and parser buffers before TCP back-pressure stops the client.
 */
export const QUEUED_REQUEST_BYTES = 192 * 1024;

export interface MemoryBoundInput {
  readonly memoryLimitBytes: number;
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  readonly maxQueuedRequests: number;
}

export interface MemoryBound {
  readonly perRequestBytes: number;
  readonly overheadBytes: number;
  /** memoryLimitBytes − overheadBytes: what the admitted requests may use together. */
  readonly budgetBytes: number;
  /** The most requests that fit (0: not even one). */
  readonly maxConcurrentRequests: number;
}

/**
 * @example
 * memoryBound({ memoryLimitBytes: 2 ** 30, maxBodyBytes: 16 * 2 ** 20, maxDecompressedBytes: 64 * 2 ** 20, maxQueuedRequests: 64 })
 * // → { perRequestBytes: 224 MiB, overheadBytes: 140 MiB, budgetBytes: 884 MiB, maxConcurrentRequests: 3 }
 */
export function memoryBound(input: MemoryBoundInput): MemoryBound {
  const perRequestBytes = BODY_COPIES * input.maxBodyBytes + UNWRAP_COPIES * input.maxDecompressedBytes;
  const overheadBytes = IDLE_BYTES + input.maxQueuedRequests * QUEUED_REQUEST_BYTES;
  const budgetBytes = Math.max(0, input.memoryLimitBytes - overheadBytes);
  return {
    perRequestBytes,
    overheadBytes,
    budgetBytes,
    maxConcurrentRequests: Math.floor(budgetBytes / perRequestBytes),
  };
}

/** The receiver's default concurrency where memory allows more (the historical default). */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 8;

/** The receiver's default wait queue (`--max-queued-requests`). */
export const DEFAULT_MAX_QUEUED_REQUESTS = 64;

/**
 * A request body limit for a Firehose buffer size hint: twice the hint (Firehose treats the hint as
 * a hint, API_HttpEndpointBufferingHints: "it might choose to use more optimal values"), at most the
 * 64 MiB a request can carry, × 4/3 for base64, plus the JSON around up to 10,000 records, rounded
 * up to a MiB: 5 MiB → 14 MiB, 32 or 64 → 86 MiB. A larger body gets 413 and lands in the stream's
 * S3 backup (`efsink replay firehose-backup`), never lost.
 */
export function requestBodyBytesFor(bufferingSizeMiB: number): number {
  const records = Math.min(2 * bufferingSizeMiB, 64) * MiB;
  const bytes = (records * 4) / 3 + 10_000 * 16 + 4096;
  return Math.ceil(bytes / MiB) * MiB;
}

/** Human-readable MiB for messages. */
export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
}

/**
 * The code of a receiver configuration whose requests do not fit its memory: an explicit
 * `--max-concurrent-requests` over the bound, or limits under which not even one request fits.
 */
export const CONFIG_MEMORY_BOUND_EXCEEDED = 'CONFIG_MEMORY_BOUND_EXCEEDED' as const;

export interface ConcurrencyInput extends MemoryBoundInput {
  /** `--max-concurrent-requests` when given; otherwise derived. */
  readonly requested?: number | undefined;
}

/**
 * The concurrency `efsink serve` runs with: the requested one if it fits the memory bound, else a
 * refusal; unrequested, min(8, the bound). Refused rather than clamped: the operator asked for a
 * number that the memory cannot hold under a burst of max-size bodies (it would be killed by the
 * OOM killer mid-landing, every in-flight request with it), and silently running with fewer slots
 * would change the capacity the deployment was planned with (the autoscaling target per task); a
 * configuration error at start-up fails the deployment where it is visible (ECS rolls it back).
 * Throws EfsinkError CONFIG_MEMORY_BOUND_EXCEEDED with the numbers and what to change.
 */
export function resolveConcurrency(
  input: ConcurrencyInput,
  error: (code: typeof CONFIG_MEMORY_BOUND_EXCEEDED, message: string) => Error,
): { readonly maxConcurrentRequests: number; readonly bound: MemoryBound } {
  const bound = memoryBound(input);
  const explain =
    `per request ${BODY_COPIES} × --max-body-bytes (${mib(input.maxBodyBytes)}) + ${UNWRAP_COPIES} × ` +
    `--max-decompressed-bytes (${mib(input.maxDecompressedBytes)}) = ${mib(bound.perRequestBytes)}; ` +
    `memory ${mib(input.memoryLimitBytes)} − ${mib(bound.overheadBytes)} fixed (idle + ${input.maxQueuedRequests} queued) ` +
    `leaves ${mib(bound.budgetBytes)}, room for ${bound.maxConcurrentRequests}`;
  if (input.requested !== undefined && input.requested > bound.maxConcurrentRequests) {
    throw error(
      CONFIG_MEMORY_BOUND_EXCEEDED,
      `--max-concurrent-requests ${input.requested} does not fit in memory: ${explain}. Lower it, ` +
        'lower --max-body-bytes or --max-decompressed-bytes, or raise --memory-limit-bytes (the task memory).',
    );
  }
  if (bound.maxConcurrentRequests < 1) {
    throw error(
      CONFIG_MEMORY_BOUND_EXCEEDED,
      `not even one request fits in memory: ${explain}. Lower --max-body-bytes (near the stream's ` +
        'buffer size × 4/3) or --max-decompressed-bytes, or give the task more memory.',
    );
  }
  return {
    maxConcurrentRequests:
      input.requested ?? Math.min(DEFAULT_MAX_CONCURRENT_REQUESTS, bound.maxConcurrentRequests),
    bound,
  };
}
