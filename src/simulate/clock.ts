import type { Prng } from '../core/access-log/index.js';

/**
 * The simulation's clock: every read returns a strictly later time, by a random step of
 * `minStepMs`–`maxStepMs`. Injected so that request times, CloudWatch event times, Firehose request
 * timestamps and S3 object names are reproducible, can cross an hour boundary on purpose, and never
 * tie (two reads never return the same millisecond).
 */
export interface SimClock {
  now(): number;
  /** The last value returned (or the start), without advancing. */
  peek(): number;
}

export function createSimClock(startMs: number, prng: Prng, minStepMs = 1, maxStepMs = 40): SimClock {
  if (!(minStepMs >= 1 && maxStepMs >= minStepMs)) throw new RangeError('clock steps must be 1 ≤ min ≤ max');
  let t = startMs;
  return {
    now() {
      t += prng.int(minStepMs, maxStepMs);
      return t;
    },
    peek: () => t,
  };
}

/** The wall clock, made strictly increasing (for a simulation against real time). */
export function wallClock(): SimClock {
  let last = 0;
  return {
    now() {
      last = Math.max(last + 1, Date.now());
      return last;
    },
    peek: () => last,
  };
}
