/**
 * Loads items ahead of a consumer that takes the results strictly in order, so that the consumer's
 * own work (an assembly pass's commits) overlaps with the next loads (issue 10 item 2: on EFS a
 * call costs milliseconds and throughput comes from calls in flight, not from serial ones).
 *
 * Two bounds:
 * - `concurrency` loads in flight at once, and at most `window` results started but not yet taken;
 * - `budgetBytes` of loaded bytes not yet taken. A load learns its size before it reads (from an
 *   fstat) and calls `reserve(bytes)`; reservations are granted in item order, and always to the
 *   first one waiting when nothing is reserved, so one item larger than the budget still passes.
 *   Granting in order means the item the consumer waits for never waits behind a later one.
 * Memory therefore stays at most `budgetBytes` plus one item, whatever the items' sizes (segments
 * of the S3 path are whole Firehose objects, up to 128 MiB; a count bound alone would hold several).
 *
 * A load that fails is reported to the consumer when it reaches that item; no load starts after a
 * failure or after `close()`, which waits for the loads in flight (nothing keeps running behind the
 * caller's back).
 */
export interface ReadAheadOptions {
  readonly concurrency: number;
  readonly window: number;
  readonly budgetBytes: number;
}

export type Reserve = (bytes: number) => Promise<void>;

interface Slot<R> {
  readonly promise: Promise<R>;
  reserved: number;
}

export class ReadAhead<T, R> {
  private readonly slots = new Map<number, Slot<R>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private started = 0;
  private taken = 0;
  private running = 0;
  private stopped = false;
  /** Set by close(): a reservation asked for after it is refused at once. */
  private closed = false;
  /** Reservations: the lowest item that has neither reserved nor finished. */
  private turn = 0;
  private readonly finishedEarly = new Set<number>();
  private reservedBytes = 0;
  private readonly pending = new Map<
    number,
    { bytes: number; grant: () => void; refuse: (err: Error) => void }
  >();

  constructor(
    private readonly items: readonly T[],
    private readonly opts: ReadAheadOptions,
    private readonly load: (item: T, reserve: Reserve) => Promise<R>,
  ) {
    this.fill();
  }

  /** The next result in item order, or undefined after the last. Its bytes leave the budget. */
  async next(): Promise<R | undefined> {
    if (this.taken >= this.items.length) return undefined;
    const index = this.taken;
    this.fill();
    const slot = this.slots.get(index) as Slot<R>;
    try {
      return await slot.promise;
    } finally {
      this.slots.delete(index);
      this.taken++;
      this.reservedBytes -= slot.reserved;
      this.grantNext();
      this.fill();
    }
  }

  /**
   * Starts no further loads and waits for those in flight. A load still waiting for its reservation
   * is refused instead: nothing will take the results before it, so its turn would never come (a
   * consumer that stops early, at a gone segment or a failed load, with the budget full).
   */
  async close(): Promise<void> {
    this.stopped = true;
    this.closed = true;
    for (const [index, p] of this.pending) {
      this.pending.delete(index);
      p.refuse(new Error('read-ahead closed before this load reserved its bytes'));
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private fill(): void {
    while (
      !this.stopped &&
      this.started < this.items.length &&
      this.running < this.opts.concurrency &&
      this.started - this.taken < this.opts.window
    ) {
      this.start(this.started++);
    }
  }

  private start(index: number): void {
    this.running++;
    let reserved = false;
    const reserve: Reserve = (bytes) => {
      reserved = true;
      if (this.closed)
        return Promise.reject(new Error('read-ahead closed before this load reserved its bytes'));
      return new Promise<void>((grant, refuse) => {
        this.pending.set(index, { bytes, grant, refuse });
        this.grantNext();
      }).then(() => {
        slot.reserved = bytes;
      });
    };
    const promise = this.load(this.items[index] as T, reserve);
    const slot: Slot<R> = { promise, reserved: 0 };
    this.slots.set(index, slot);
    const settled = promise.then(
      () => {},
      () => {
        this.stopped = true; // the consumer will see the error when it gets here
      },
    );
    const tracked = settled.finally(() => {
      this.running--;
      this.inFlight.delete(tracked);
      if (!reserved) {
        this.finishedEarly.add(index);
        this.grantNext();
      }
      this.fill();
    });
    this.inFlight.add(tracked);
    // Rejections are delivered through next(); this keeps an unconsumed one from being "unhandled".
    promise.catch(() => {});
  }

  /** Grants reservations in item order while the budget allows (always one when none is held). */
  private grantNext(): void {
    for (;;) {
      if (this.finishedEarly.delete(this.turn)) {
        this.turn++;
        continue;
      }
      const p = this.pending.get(this.turn);
      if (p === undefined) return;
      if (this.reservedBytes > 0 && this.reservedBytes + p.bytes > this.opts.budgetBytes) return;
      this.pending.delete(this.turn);
      this.reservedBytes += p.bytes;
      this.turn++;
      p.grant();
    }
  }
}
