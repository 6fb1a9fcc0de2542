import type { SinkConfig } from '../config/sink-config.js';
import { codeOf } from '../core/error-catalogue.js';
import { describeReceived, EfsinkError } from '../core/errors.js';
import { planCloudWatchPayload } from '../core/write/plan-cloudwatch.js';
import type { Sink } from '../io/sink.js';
import type { Logger } from '../observability/logger.js';
import { MetricName, type Metrics } from '../observability/metrics.js';

export const INPUT_INVALID_EVENT = 'INPUT_INVALID_EVENT';

export interface CloudWatchIngestResult {
  readonly messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly logGroup: string;
  readonly logStream: string;
  readonly unitId: string;
  readonly events: number;
  readonly segmentsLanded: number;
  readonly segmentsAlreadyPresent: number;
  readonly bytesWritten: number;
}

export interface CloudWatchIngestDeps {
  readonly config: SinkConfig;
  readonly sink: Sink;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/**
 * Handles one CloudWatch Logs subscription invocation (`{"awslogs":{"data":"…"}}`): decode, plan,
 * land durably. Resolves only when every segment is durable; rejects with a coded EfsinkError
 * otherwise, so that Lambda retries the invocation (asynchronous invocation: 2 retries, then the
 * on-failure destination). Both the Lambda handler and `efsink ingest cloudwatch` call this.
 */
export async function ingestCloudWatchLogsEvent(
  event: unknown,
  deps: CloudWatchIngestDeps,
): Promise<CloudWatchIngestResult> {
  const { config, sink, log, metrics } = deps;
  try {
    const { summary, plan } = planCloudWatchPayload(
      awslogsData(event),
      config.template,
      config.maxDecompressedBytes,
    );
    const base = {
      messageType: summary.messageType,
      logGroup: summary.logGroup,
      logStream: summary.logStream,
      unitId: plan.unitId,
      events: summary.eventCount,
    };
    if (summary.messageType === 'CONTROL_MESSAGE') {
      metrics.count(MetricName.controlMessages, 1);
      log.info({ logGroup: summary.logGroup }, 'control message acknowledged');
      return { ...base, segmentsLanded: 0, segmentsAlreadyPresent: 0, bytesWritten: 0 };
    }
    const landed = await sink.land(plan);
    metrics.count(MetricName.eventsReceived, summary.eventCount);
    metrics.count(MetricName.bytesWritten, landed.bytes);
    metrics.count(MetricName.segmentsLanded, landed.landed);
    if (landed.landed === 0 && landed.alreadyPresent > 0) metrics.count(MetricName.duplicateUnits, 1);
    log.info({ ...base, ...landed }, 'unit landed');
    if (config.assembleAfterIngest) await assembleOpportunistically(sink, log);
    return {
      ...base,
      segmentsLanded: landed.landed,
      segmentsAlreadyPresent: landed.alreadyPresent,
      bytesWritten: landed.bytes,
    };
  } catch (err) {
    const code = codeOf(err);
    metrics.count(MetricName.failures, 1, { errorCode: code });
    log.error({ code, err: (err as Error).message }, 'unit failed');
    throw err;
  }
}

/** Assembly after ingest is an optimisation: its failure must not fail the (durable) ingest. */
async function assembleOpportunistically(sink: Sink, log: Logger): Promise<void> {
  try {
    await sink.assemble();
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      'opportunistic assembly failed; the scheduled assembler will retry',
    );
  }
}

function awslogsData(event: unknown): string {
  const data = (event as { awslogs?: { data?: unknown } } | null)?.awslogs?.data;
  if (typeof data !== 'string') {
    throw new EfsinkError(
      INPUT_INVALID_EVENT,
      `expected a CloudWatch Logs subscription event {"awslogs":{"data":"<base64>"}}, got ${describeReceived(event)}`,
    );
  }
  return data;
}
