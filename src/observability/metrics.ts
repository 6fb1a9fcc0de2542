/** The counters every ingestion path emits (docs/ARCHITECTURE.md, "Telemetry"). */
export const MetricName = {
  eventsReceived: 'EventsReceived',
  bytesWritten: 'BytesWritten',
  segmentsLanded: 'SegmentsLanded',
  duplicateUnits: 'DuplicateUnits',
  controlMessages: 'ControlMessages',
  failures: 'Failures',
  /** Assembly passes that left at least one file unassembled (or failed outright). */
  assemblyFailures: 'AssemblyFailures',
  /** Landing age of the oldest segment an assembly pass could not assemble (busy or failed file). */
  oldestUnassembledSegmentAgeSeconds: 'OldestUnassembledSegmentAgeSeconds',
} as const;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/**
 * Default value of the `service` dimension of each publisher (Powertools' service name in Lambda;
 * the receiver's is configurable, see EFSINK_METRICS_SERVICE).
 */
export const METRICS_SERVICE = {
  cloudwatchLogs: 'efsink-cloudwatch-logs',
  s3Sqs: 'efsink-s3-sqs',
  assembler: 'efsink-assembler',
  receiver: 'efsink-receiver',
} as const;

/** CloudWatch namespace of every efsink metric (Lambda paths and receiver alike). */
export const METRICS_NAMESPACE = 'efsink';

/** The `Failures` metric's second dimension (after `service`): the error's stable code. */
export const ERROR_CODE_DIMENSION = 'errorCode';

/** CloudWatch unit of each metric (MetricDatum units). */
export function metricUnitOf(name: MetricNameValue): 'Bytes' | 'Seconds' | 'Count' {
  if (name === MetricName.bytesWritten) return 'Bytes';
  if (name === MetricName.oldestUnassembledSegmentAgeSeconds) return 'Seconds';
  return 'Count';
}

/**
 * Narrow metrics port: Powertools EMF in Lambda, EMF lines on stdout in the receiver (beside its
 * Prometheus registry), nothing in the CLI.
 */
export interface Metrics {
  count(name: MetricNameValue, value: number, dimensions?: Readonly<Record<string, string>>): void;
  /** A point-in-time value in seconds (for example an age). */
  seconds(name: MetricNameValue, value: number): void;
}

export const noMetrics: Metrics = { count() {}, seconds() {} };
