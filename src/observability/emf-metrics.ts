import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricNameValue, type Metrics, metricUnitOf } from './metrics.js';

/** Where EMF documents go, one JSON text per call (the caller appends the newline). */
export type EmfLineWriter = (line: string) => void;

/** A {@link Metrics} port for a long-running process, flushed on the caller's schedule. */
export interface EmfMetrics {
  readonly metrics: Metrics;
  /** Writes what was recorded since the last flush, one EMF document per dimension set; returns how many. */
  flush(): number;
}

interface Pending {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly counts: Map<MetricNameValue, number>;
  readonly seconds: Map<MetricNameValue, number>;
}

/**
 * CloudWatch embedded metric format for processes that are not Lambda invocations (the receiver on
 * ECS): counts are summed in memory per metric and dimension set, and each `flush()` writes one JSON
 * document per dimension set. On ECS the awslogs driver ships stdout to CloudWatch Logs, which
 * extracts EMF from any log event with no agent or header (AWS, "Using the PutLogEvents API to send
 * manually-created embedded metric format logs": the `x-amzn-logs-format: json/emf` header "is not
 * required"; confirmed for awslogs by the EMF library maintainers, awslabs/aws-embedded-metrics-python#73).
 *
 * Documents are serialized by Powertools (`serializeMetrics`), the library the Lambda paths publish
 * with, so namespace, the `service` dimension, dimension sets and units are the Lambda paths' by
 * construction. Powertools' own `publishStoredMetrics` is not used: it writes through a private
 * Console bound to process.stdout, and the caller here chooses the stream.
 *
 * A `seconds` value is a point-in-time reading; within one flush interval the largest is kept, which
 * is what the alarms on it (statistic Maximum) read.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function createEmfMetrics(
  serviceName: string,
  write: EmfLineWriter,
  now: () => number = Date.now,
): EmfMetrics {
  let pending = new Map<string, Pending>();
  const groupOf = (dimensions: Readonly<Record<string, string>> | undefined): Pending => {
    const dims = dimensions ?? {};
    const key = JSON.stringify(Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let group = pending.get(key);
    if (group === undefined) {
      group = { dimensions: { ...dims }, counts: new Map(), seconds: new Map() };
      pending.set(key, group);
    }
    return group;
  };
  const metrics: Metrics = {
    count(name, value, dimensions) {
      const { counts } = groupOf(dimensions);
      counts.set(name, (counts.get(name) ?? 0) + value);
    },
    seconds(name, value) {
      const { seconds } = groupOf(undefined);
      seconds.set(name, Math.max(seconds.get(name) ?? Number.NEGATIVE_INFINITY, value));
    },
  };
  const flush = (): number => {
    const groups = [...pending.values()];
    pending = new Map();
    const timestamp = now();
    let written = 0;
    for (const group of groups) {
      if (group.counts.size === 0 && group.seconds.size === 0) continue;
      const emf = new PowertoolsMetrics({
        namespace: METRICS_NAMESPACE,
        serviceName,
        ...(Object.keys(group.dimensions).length > 0 ? { defaultDimensions: { ...group.dimensions } } : {}),
      });
      emf.setTimestamp(timestamp);
      for (const [name, value] of [...group.counts, ...group.seconds]) {
        emf.addMetric(name, metricUnitOf(name), value);
      }
      write(JSON.stringify(emf.serializeMetrics()));
      written++;
    }
    return written;
  };
  return { metrics, flush };
}
