/**
 * A token bucket that paces requests to `requestsPerSecond` with at most `burst` back to back.
 * FilterLogEvents is limited to 5 transactions per second per account and Region, a quota that
 * cannot be raised (CloudWatch Logs quotas, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html),
 * and the quota is shared with every other caller in the account, so backfill paces itself instead
 * of relying on throttling + SDK backoff (which wastes requests and time).
 */
export interface RateLimiter {
  /** Resolves when a request may be sent; takes one token. */
  acquire(): Promise<void>;
}

export interface Clock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function tokenBucket(requestsPerSecond: number, burst = 1, clock: Clock = systemClock): RateLimiter {
  if (!(requestsPerSecond > 0))
    throw new RangeError(`requestsPerSecond must be > 0, got ${requestsPerSecond}`);
  const capacity = Math.max(1, burst);
  let tokens = capacity;
  let at = clock.now();
  // Serialise waiters so that concurrent callers are paced one after another.
  let chain: Promise<void> = Promise.resolve();
  const take = async (): Promise<void> => {
    for (;;) {
      const now = clock.now();
      tokens = Math.min(capacity, tokens + ((now - at) / 1000) * requestsPerSecond);
      at = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await clock.sleep(Math.ceil(((1 - tokens) / requestsPerSecond) * 1000));
    }
  };
  return {
    acquire() {
      const next = chain.then(take);
      chain = next;
      return next;
    },
  };
}
