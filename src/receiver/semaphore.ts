/**
 * A counting semaphore with a bounded wait queue: at most `limit` holders, at most `maxQueued`
 * waiters. `tryAcquire` returns undefined when both are full, so the caller can answer 503 at once
 * instead of buffering without bound (back-pressure: Firehose retries with backoff).
 */
export interface Semaphore {
  /** Resolves to a release function, or undefined when the queue is full. */
  tryAcquire(): Promise<(() => void) | undefined>;
  readonly active: number;
  readonly queued: number;
}

export function createSemaphore(limit: number, maxQueued: number): Semaphore {
  let active = 0;
  const waiters: (() => void)[] = [];
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else active--;
  };
  const once = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };
  return {
    get active() {
      return active;
    },
    get queued() {
      return waiters.length;
    },
    async tryAcquire() {
      if (active < limit) {
        active++;
        return once();
      }
      if (waiters.length >= maxQueued) return undefined;
      // The slot is handed over by release() without decrementing `active`.
      await new Promise<void>((resolve) => waiters.push(resolve));
      return once();
    },
  };
}
