/**
 * Buffering as AWS producers do it: a batch is sent when adding one more item would exceed its
 * count or byte limit, or when its oldest item is `maxAgeMs` old (simulated time). Pure: time is
 * passed in, nothing is sent from here.
 *
 * - CloudWatch Logs → Lambda subscriptions: per log stream, up to 10,000 events and about 1 MB
 *   (PutLogEvents' limits, which bound what one subscription payload can hold).
 * - Firehose: one buffer per stream, flushed at the buffer size (1–128 MiB; HTTP endpoints 1–64 MiB)
 *   or the buffer interval (0–900 s), whichever comes first.
 */
export interface BatchLimits {
  /** Most items in one batch (≥ 1). */
  readonly maxCount: number;
  /** Most bytes in one batch (≥ 1); an item larger than this is sent alone. */
  readonly maxBytes: number;
  /** A batch is sent once its first item is this old (simulated ms, ≥ 0). */
  readonly maxAgeMs: number;
}

export interface Batch<T> {
  readonly items: readonly T[];
  readonly bytes: number;
  /** Simulated time of the first item. */
  readonly firstAtMs: number;
  /** Why it was sent. */
  readonly reason: 'count' | 'bytes' | 'age' | 'flush';
}

export interface Batcher<T> {
  /** Adds one item at simulated time `atMs`; returns the batches that are now due, oldest first. */
  add(item: T, bytes: number, atMs: number): Batch<T>[];
  /** Batches due at `atMs` without adding anything (the buffer interval elapsed). */
  tick(atMs: number): Batch<T>[];
  /** Whatever is buffered, as one batch (end of the simulation). */
  flush(): Batch<T>[];
  readonly pending: number;
}

export function createBatcher<T>(limits: BatchLimits): Batcher<T> {
  if (!(limits.maxCount >= 1 && limits.maxBytes >= 1 && limits.maxAgeMs >= 0)) {
    throw new RangeError(`invalid batch limits ${JSON.stringify(limits)}`);
  }
  let items: T[] = [];
  let bytes = 0;
  let firstAtMs = 0;
  const take = (reason: Batch<T>['reason']): Batch<T>[] => {
    if (items.length === 0) return [];
    const batch = { items, bytes, firstAtMs, reason };
    items = [];
    bytes = 0;
    return [batch];
  };
  const tick = (atMs: number): Batch<T>[] =>
    items.length > 0 && atMs - firstAtMs >= limits.maxAgeMs ? take('age') : [];
  return {
    add(item, size, atMs) {
      const out = tick(atMs);
      if (items.length > 0 && bytes + size > limits.maxBytes) out.push(...take('bytes'));
      if (items.length === 0) firstAtMs = atMs;
      items.push(item);
      bytes += size;
      if (items.length >= limits.maxCount) out.push(...take('count'));
      else if (bytes >= limits.maxBytes) out.push(...take('bytes'));
      return out;
    },
    tick,
    flush: () => take('flush'),
    get pending() {
      return items.length;
    },
  };
}
