import type { EmfMetrics } from '../observability/emf-metrics.js';
import type { Logger } from '../observability/logger.js';
import { ERROR_CODE_DIMENSION, MetricName, type MetricNameValue } from '../observability/metrics.js';
import type { ReceiverMetrics } from './metrics.js';

/** Publishes the receiver's counters as EMF; see {@link startEmfPublisher}. */
export interface EmfPublisher {
  /** Publishes what the counters gained since the previous call (never overlapping another). */
  publish(): Promise<void>;
  /** Stops the schedule and publishes one last time (call after the receiver's final assembly pass). */
  stop(): Promise<void>;
}

/** The cumulative totals the EMF metrics are derived from. */
export interface ReceiverTotals {
  /** EMF counter name → running total. */
  readonly counts: ReadonlyMap<MetricNameValue, number>;
  /** errorCode → requests answered with that code (any status but 200). */
  readonly failures: ReadonlyMap<string, number>;
  /** Assembly passes run so far (any result). */
  readonly passes: number;
  /** The last completed pass's oldest unassembled segment age, seconds. */
  readonly oldestUnassembledAgeSeconds: number;
}

/** Which Prometheus counter each Lambda-path metric name is read from. */
const COUNTERS: readonly [MetricNameValue, (m: ReceiverMetrics) => ReceiverMetrics['records']][] = [
  [MetricName.eventsReceived, (m) => m.records],
  [MetricName.bytesWritten, (m) => m.bytes],
  [MetricName.segmentsLanded, (m) => m.segments],
  [MetricName.duplicateUnits, (m) => m.duplicates],
];

/** Code used when a failed answer carries none (should not happen: every non-200 answer is coded). */
const UNCODED = 'UNKNOWN';

/** Reads the running totals out of the receiver's Prometheus counters. */
export async function readReceiverTotals(m: ReceiverMetrics): Promise<ReceiverTotals> {
  const counts = new Map<MetricNameValue, number>();
  for (const [name, counter] of COUNTERS) {
    const { values } = await counter(m).get();
    counts.set(
      name,
      values.reduce((sum, v) => sum + v.value, 0),
    );
  }
  const failures = new Map<string, number>();
  for (const v of (await m.requests.get()).values) {
    if (String(v.labels.status) === '200') continue;
    const code = String(v.labels.code ?? '') || UNCODED;
    failures.set(code, (failures.get(code) ?? 0) + v.value);
  }
  let passes = 0;
  let failedPasses = 0;
  for (const v of (await m.assemblies.get()).values) {
    passes += v.value;
    if (v.labels.result === 'failed') failedPasses += v.value;
  }
  counts.set(MetricName.assemblyFailures, failedPasses);
  const age = (await m.oldestUnassembledAge.get()).values[0]?.value ?? 0;
  return { counts, failures, passes, oldestUnassembledAgeSeconds: age };
}

const NO_TOTALS: ReceiverTotals = {
  counts: new Map(),
  failures: new Map(),
  passes: 0,
  oldestUnassembledAgeSeconds: 0,
};

/**
 * Records on `emf.metrics` what changed between two readings of the totals. The plain counters are
 * recorded even when unchanged (0), so that a running but idle receiver reads 0, not missing data;
 * `Failures` only for the codes that occurred, each with its `errorCode` dimension (as the Lambda
 * paths do); the segment age only when an assembly pass ran in between.
 */
export function recordTotalsDelta(before: ReceiverTotals, after: ReceiverTotals, emf: EmfMetrics): void {
  for (const [name, total] of after.counts) emf.metrics.count(name, total - (before.counts.get(name) ?? 0));
  for (const [code, total] of after.failures) {
    const delta = total - (before.failures.get(code) ?? 0);
    if (delta > 0) emf.metrics.count(MetricName.failures, delta, { [ERROR_CODE_DIMENSION]: code });
  }
  if (after.passes > before.passes) {
    emf.metrics.seconds(MetricName.oldestUnassembledSegmentAgeSeconds, after.oldestUnassembledAgeSeconds);
  }
}

/**
 * Publishes the receiver's counters to CloudWatch as embedded metric format, under the Lambda paths'
 * namespace, names and dimensions, every `intervalMs` (0: only on `publish()`/`stop()`). The
 * Prometheus registry stays the source of truth, so `/metrics` and CloudWatch never disagree: each
 * publication is the difference between two readings of the same counters.
 */
export function startEmfPublisher(deps: {
  readonly source: ReceiverMetrics;
  readonly emf: EmfMetrics;
  readonly intervalMs: number;
  readonly log: Logger;
}): EmfPublisher {
  let last = NO_TOTALS;
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const publishNow = async () => {
    const totals = await readReceiverTotals(deps.source);
    recordTotalsDelta(last, totals, deps.emf);
    last = totals;
    deps.emf.flush();
  };
  const publish = (): Promise<void> => {
    chain = chain.then(publishNow).catch((err: unknown) => {
      deps.log.warn(
        { err: (err as Error).message },
        'EMF metrics not published; the next publication catches up',
      );
    });
    return chain;
  };
  const schedule = () => {
    if (stopped || deps.intervalMs === 0) return;
    timer = setTimeout(() => {
      void publish().then(schedule);
    }, deps.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    publish,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await publish();
    },
  };
}
