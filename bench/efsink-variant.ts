import { loadSinkConfig } from '../src/config/sink-config.js';
import { createSink } from '../src/io/sink.js';
import { ingestCloudWatchLogsEvent } from '../src/lambda/cloudwatch-logs.js';
import { silentLogger } from '../src/observability/logger.js';
import { noMetrics } from '../src/observability/metrics.js';
import type { LambdaEvent } from './corpus.js';

/**
 * (c) and (d): the real ingest path (`ingestCloudWatchLogsEvent`, the code the Lambda handler and
 * `efsink ingest cloudwatch` run) with the default configuration, one invocation at a time as a Lambda
 * instance does. Building the config and sink is cold-start work and is not timed.
 */
export interface EfsinkRunner {
  ingest(event: LambdaEvent): Promise<void>;
  assemble(): Promise<void>;
}

export function createEfsinkRunner(root: string): EfsinkRunner {
  const config = loadSinkConfig({ root }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  const deps = { config, sink, log: silentLogger, metrics: noMetrics };
  return {
    async ingest(event) {
      await ingestCloudWatchLogsEvent(event, deps);
    },
    async assemble() {
      const report = await sink.assemble();
      if (report.failed.length > 0) {
        throw new Error(`assembly failed: ${JSON.stringify(report.failed)}`);
      }
    },
  };
}
