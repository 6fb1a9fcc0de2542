/** The counters every ingestion path emits (docs/ARCHITECTURE.md, "Telemetry"). */
export const MetricName = {
  eventsReceived: 'EventsReceived',
  bytesWritten: 'BytesWritten',
  segmentsLanded: 'SegmentsLanded',
  duplicateUnits: 'DuplicateUnits',
  controlMessages: 'ControlMessages',
  failures: 'Failures',
} as const;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/** Narrow metrics port: Powertools EMF in Lambda, prom-client in the receiver, nothing in the CLI. */
export interface Metrics {
  count(name: MetricNameValue, value: number, dimensions?: Readonly<Record<string, string>>): void;
}

export const noMetrics: Metrics = { count() {} };
