/**
 * A counting semaphore with a bounded wait queue: at most `limit` holders, at most `maxQueued`
 * waiters. `acquire` resolves to undefined when both are full, so the caller can answer 503 at once
 * instead of buffering without bound (back-pressure: Firehose retries with backoff).
 *
 * A waiter whose signal aborts (its client went away, Node answered 408, or the receiver is
 * shutting down) leaves the queue at once and its promise rejects with the signal's reason. A slot
 * is therefore only ever handed to a waiter that is still there, and the caller releases it in a
 * `finally`: no path holds a slot for a request nobody waits for (issue 11, item 1).
 */
export interface Semaphore {
  /**
   * Resolves to a release function (idempotent) when a slot is free, or to undefined at once when
   * every slot is busy and the queue is full. Rejects with `signal.reason` if `signal` is or
   * becomes aborted before a slot is handed over.
   */
  acquire(signal: AbortSignal): Promise<(() => void) | undefined>;
  readonly active: number;
  readonly queued: number;
  /**
   * When the longest-held slot was handed over (`now()` at the grant), or undefined when no slot
   * is held: /healthz reports a slot held past its bound as stuck.
   */
  oldestHeldSince(): number | undefined;
}

interface Waiter {
  readonly grant: () => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

export function createSemaphore(limit: number, maxQueued: number, now: () => number = Date.now): Semaphore {
  let active = 0;
  const waiters: Waiter[] = [];
  /** Grant time of every held slot, in grant order (a Set keeps insertion order). */
  const held = new Set<{ readonly since: number }>();
  const release = () => {
    const next = waiters.shift();
    if (next === undefined) {
      active--;
      return;
    }
    // The slot passes to the next waiter without `active` going down.
    next.signal.removeEventListener('abort', next.onAbort);
    next.grant();
  };
  const once = () => {
    const holder = { since: now() };
    held.add(holder);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      held.delete(holder);
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
    oldestHeldSince() {
      for (const h of held) return h.since;
      return undefined;
    },
    acquire(signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (active < limit) {
        active++;
        return Promise.resolve(once());
      }
      if (waiters.length >= maxQueued) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          grant: () => resolve(once()),
          signal,
          onAbort: () => {
            const i = waiters.indexOf(waiter);
            if (i >= 0) waiters.splice(i, 1);
            reject(signal.reason);
          },
        };
        waiters.push(waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      });
    },
  };
}
