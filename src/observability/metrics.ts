/** The counters every ingestion path emits (docs/ARCHITECTURE.md, "Telemetry"). */
export const MetricName = {
  eventsReceived: 'EventsReceived',
  bytesWritten: 'BytesWritten',
  segmentsLanded: 'SegmentsLanded',
  duplicateUnits: 'DuplicateUnits',
  controlMessages: 'ControlMessages',
  failures: 'Failures',
  /** Landing age of the oldest segment an assembly pass could not assemble (busy or failed file). */
  oldestUnassembledSegmentAgeSeconds: 'OldestUnassembledSegmentAgeSeconds',
} as const;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/** Narrow metrics port: Powertools EMF in Lambda, prom-client in the receiver, nothing in the CLI. */
export interface Metrics {
  count(name: MetricNameValue, value: number, dimensions?: Readonly<Record<string, string>>): void;
  /** A point-in-time value in seconds (for example an age). */
  seconds(name: MetricNameValue, value: number): void;
}

export const noMetrics: Metrics = { count() {}, seconds() {} };
