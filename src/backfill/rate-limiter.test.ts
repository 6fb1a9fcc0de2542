import { describe, expect, it } from 'vitest';
import { type Clock, tokenBucket } from './rate-limiter.js';
import { retryReason, sendWithRetry } from './retry.js';

/** A fake clock: sleeping advances time, nothing waits. */
function fakeClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

describe('tokenBucket', () => {
  it('lets through at most rate × seconds + burst acquisitions (counted on a fake clock)', async () => {
    const clock = fakeClock();
    const limiter = tokenBucket(5, 1, clock);
    const at: number[] = [];
    for (let i = 0; i < 50; i++) {
      await limiter.acquire();
      at.push(clock.t);
    }
    for (let i = 0; i < at.length; i++) {
      const inWindow = at.filter((t) => t >= (at[i] as number) && t < (at[i] as number) + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(5 + 1);
    }
    expect(at[49]).toBeLessThanOrEqual(49 * 200 + 1);
  });

  it('fails on a non-positive rate', () => {
    expect(() => tokenBucket(0)).toThrow(/requestsPerSecond/);
  });
});

describe('sendWithRetry', () => {
  const base = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 };

  it('sleeps with full jitter bounded by min(cap, base·2^n), then succeeds', async () => {
    const clock = fakeClock();
    const delays: number[] = [];
    let calls = 0;
    const r = await sendWithRetry(
      'op',
      async () => {
        if (++calls < 5) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
        return 'ok';
      },
      tokenBucket(1000, 1000, clock),
      { ...base, sleep: clock.sleep, onRetry: (i) => delays.push(i.delayMs) },
    );
    expect(r).toBe('ok');
    expect(delays).toEqual([99, 199, 399, 799]);
  });

  it('classifies errors', () => {
    expect(retryReason({ name: 'ThrottlingException' })).toBe('ThrottlingException');
    expect(retryReason({ name: 'X', $metadata: { httpStatusCode: 503 } })).toBe('HTTP 503 X');
    expect(retryReason({ code: 'ECONNRESET' })).toBe('ECONNRESET');
    expect(
      retryReason({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }),
    ).toBeUndefined();
  });
});
