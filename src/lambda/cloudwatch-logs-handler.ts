import { resolveSettings } from '../config/settings-resolve.js';
import { SINK_KEYS, sinkConfigOf } from '../config/sink-config.js';
import { createSink } from '../io/sink.js';
import { METRICS_SERVICE } from '../observability/metrics.js';
import { type CloudWatchIngestResult, ingestCloudWatchLogsEvent } from './cloudwatch-logs.js';
import { powertools } from './powertools.js';

// Validated once at cold start: a bad deployment fails at init, not per record.
const settings = resolveSettings([...SINK_KEYS, 'logLevel'] as const, { env: process.env });
const config = sinkConfigOf(settings);
const { log, metrics, flush } = powertools(METRICS_SERVICE.cloudwatchLogs, settings.logLevel);
const sink = createSink(config, { log });

/**
 * CloudWatch Logs subscription filter → Lambda (asynchronous invocation). Returns after the unit is
 * durable on EFS; throws (so Lambda retries, then sends it to the on-failure destination) otherwise.
 */
export async function handler(event: unknown): Promise<CloudWatchIngestResult> {
  try {
    return await ingestCloudWatchLogsEvent(event, { config, sink, log, metrics });
  } finally {
    flush();
  }
}
