import type { RootLayout } from '../io/layout.js';
import { codeOf } from './protocol.js';

/** Codes of the reasons `/healthz` gives for a 503 (listed in docs/errors.md). */
export const HealthCode = {
  /** A concurrency slot has been held longer than the stuck-slot bound. */
  slotStuck: 'RECEIVER_SLOT_STUCK',
  /** The write-and-fsync probe under `<root>/.efsink/health/` did not finish within its bound. */
  probeTimeout: 'RECEIVER_PROBE_TIMEOUT',
  /** The write-and-fsync probe failed (the message carries the `FS_<errno>`). */
  probeFailed: 'RECEIVER_PROBE_FAILED',
  /** The receiver is draining after SIGTERM (same code as the 503 it answers Firehose). */
  shuttingDown: 'RECEIVER_SHUTTING_DOWN',
} as const;

export interface HealthReason {
  readonly code: string;
  readonly message: string;
}

export interface HealthReport {
  readonly healthy: boolean;
  readonly reasons: readonly HealthReason[];
}

export interface HealthDeps {
  readonly layout: RootLayout;
  /** When the longest-held concurrency slot was granted (undefined: none held). */
  readonly oldestSlotSince: () => number | undefined;
  /** A slot held longer than this is stuck. */
  readonly stuckSlotMs: number;
  /** The probe must finish within this. */
  readonly probeTimeoutMs: number;
  /** A finished probe's result is reused for this long (health checks from the ALB and ECS both hit it). */
  readonly probeCacheMs: number;
  /** One write-and-fsync round trip; rejects on failure, may never settle (a hung mount). */
  readonly probe: (layout: RootLayout, nowMs: number) => Promise<void>;
  readonly now: () => number;
}

export interface Health {
  check(): Promise<HealthReport>;
}

/**
 * The receiver's own verdict on whether it can do its job, for the load balancer and the container
 * health check. Unhealthy when a slot is stuck (a landing that never finishes: the request can no
 * longer be answered in time, and a task whose slots are all stuck would be a black hole while
 * still answering 200 here), or when a small write-and-fsync under `.efsink/` does not finish
 * within its bound.
 *
 * At most one probe is in flight: a probe that hangs is not started again, later checks answer at
 * once from its age ("running for N ms") until it settles. A finished probe's result is cached for
 * `probeCacheMs`, so frequent health checks cost one small write, not one each.
 */
export function createHealth(deps: HealthDeps): Health {
  let running: { readonly started: number; readonly done: Promise<HealthReason | undefined> } | undefined;
  let last: { readonly at: number; readonly reason: HealthReason | undefined } | undefined;

  const timedOut = (ms: number): HealthReason => ({
    code: HealthCode.probeTimeout,
    message: `write-and-fsync probe under ${deps.layout.internal} has not finished after ${ms} ms (bound ${deps.probeTimeoutMs} ms)`,
  });

  const startProbe = () => {
    const started = deps.now();
    const done = deps.probe(deps.layout, started).then(
      () => {
        const took = deps.now() - started;
        return took > deps.probeTimeoutMs ? timedOut(took) : undefined;
      },
      (err: unknown): HealthReason => ({
        code: HealthCode.probeFailed,
        message: `write-and-fsync probe under ${deps.layout.internal} failed: ${codeOf(err)}: ${(err as Error).message}`,
      }),
    );
    const probe = {
      started,
      done: done.then((reason) => {
        last = { at: deps.now(), reason };
        if (running === probe) running = undefined;
        return reason;
      }),
    };
    running = probe;
    return probe;
  };

  const probeReason = async (): Promise<HealthReason | undefined> => {
    const t = deps.now();
    if (running === undefined && last !== undefined && t - last.at < deps.probeCacheMs) return last.reason;
    const probe = running ?? startProbe();
    const left = probe.started + deps.probeTimeoutMs - t;
    if (left <= 0) return timedOut(t - probe.started);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<HealthReason>((resolve) => {
      timer = setTimeout(() => resolve(timedOut(deps.now() - probe.started)), left);
    });
    try {
      return await Promise.race([probe.done, bound]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async check() {
      const reasons: HealthReason[] = [];
      const since = deps.oldestSlotSince();
      if (since !== undefined) {
        const heldMs = deps.now() - since;
        if (heldMs > deps.stuckSlotMs) {
          reasons.push({
            code: HealthCode.slotStuck,
            message: `a request has held its slot for ${heldMs} ms (bound ${deps.stuckSlotMs} ms)`,
          });
        }
      }
      const probe = await probeReason();
      if (probe !== undefined) reasons.push(probe);
      return { healthy: reasons.length === 0, reasons };
    },
  };
}
