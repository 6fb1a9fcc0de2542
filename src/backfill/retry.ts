import { BackfillErrorCode, backfillError } from './errors.js';
import type { RateLimiter } from './rate-limiter.js';

export interface RetryOptions {
  /** Attempts per request, the first included. @default 8 */
  readonly maxAttempts: number;
  /** Backoff base; attempt n sleeps a uniform random time in [0, min(cap, base·2^n)). @default 200 */
  readonly baseDelayMs: number;
  /** @default 20000 */
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export const DEFAULT_RETRY: Omit<RetryOptions, 'sleep' | 'random'> = {
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
};

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'SlowDown',
]);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

/** Why a source error is worth retrying, or undefined when it is not (access denied, bad input, …). */
export function retryReason(err: unknown): string | undefined {
  const e = err as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  if (e?.name !== undefined && THROTTLING.has(e.name)) return e.name;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return `HTTP ${status}${e.name ? ` ${e.name}` : ''}`;
  if (status === 429) return 'HTTP 429';
  if (e?.code !== undefined && NETWORK.has(e.code)) return e.code;
  if (e?.name === 'TimeoutError') return 'TimeoutError';
  if (e?.$retryable !== undefined && e.$retryable !== null) return e.name ?? 'retryable';
  return undefined;
}

/**
 * Sends `request` paced by `limiter`, retrying throttling, 5xx and network errors with exponential
 * backoff and full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015): sleep a
 * uniform random time in [0, min(cap, base·2^attempt)). Never gives up silently: after
 * `maxAttempts` it throws SOURCE_RETRIES_EXHAUSTED; a non-retryable error throws
 * SOURCE_REQUEST_FAILED at once. Every attempt, retries included, takes a token from the limiter.
 */
export async function sendWithRetry<T>(
  what: string,
  request: () => Promise<T>,
  limiter: RateLimiter,
  opts: RetryOptions,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await limiter.acquire();
    try {
      return await request();
    } catch (err) {
      const reason = retryReason(err);
      const detail = `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
      if (reason === undefined) {
        throw backfillError(BackfillErrorCode.sourceFailed, `${what} failed (not retryable): ${detail}`, err);
      }
      if (attempt + 1 >= opts.maxAttempts) {
        throw backfillError(
          BackfillErrorCode.retriesExhausted,
          `${what} still failing after ${opts.maxAttempts} attempts (last: ${detail})`,
          err,
        );
      }
      const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** attempt);
      const delayMs = Math.floor(opts.random() * ceiling);
      opts.onRetry?.({ attempt: attempt + 1, delayMs, reason });
      await opts.sleep(delayMs);
    }
  }
}
