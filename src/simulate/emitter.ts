import type { DeliveredUnit, PathName } from './expected.js';
import type { RenderedLine } from './gateway.js';

/** What a path emitter has done so far. */
export interface EmitterStats {
  lines: number;
  /** Rendered bytes (before framing). */
  bytes: number;
  /** Distinct delivery units (payloads, requests, objects). */
  units: number;
  /** Deliveries of a unit that had already been delivered (at-least-once). */
  redeliveries: number;
  /** Attempts repeated after a failure answer (non-200, Lambda error, failed SQS message). */
  retries: number;
}

/** Takes rendered lines, batches them like the AWS producer, and delivers the batches. */
export interface PathEmitter {
  readonly path: PathName;
  readonly logGroup: string;
  emit(line: RenderedLine): void;
  /** Sends what is buffered and waits for every delivery; rejects with the first failure. */
  flush(): Promise<void>;
  /** Delivers the first `count` units again, as a late at-least-once redelivery; resolves to how many. */
  replay(count: number): Promise<number>;
  readonly units: readonly DeliveredUnit[];
  readonly stats: Readonly<EmitterStats>;
}

/** Runs deliveries one after another in emission order and keeps the first error. */
export function deliveryQueue(): { push(task: () => Promise<void>): void; drain(): Promise<void> } {
  let tail: Promise<void> = Promise.resolve();
  let failure: unknown;
  return {
    push(task) {
      tail = tail
        .then(() => (failure === undefined ? task() : undefined))
        .catch((err: unknown) => {
          failure ??= err;
        });
    },
    async drain() {
      await tail;
      if (failure !== undefined) throw failure;
    },
  };
}

export function newStats(): EmitterStats {
  return { lines: 0, bytes: 0, units: 0, redeliveries: 0, retries: 0 };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
