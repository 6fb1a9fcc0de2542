import type { SQSEvent } from 'aws-lambda';
import { loadReceiverConfig } from '../config/receiver-config.js';
import type { SinkConfig } from '../config/sink-config.js';
import { EfsinkError } from '../core/errors.js';
import type { Sink } from '../io/sink.js';
import { ingestCloudWatchLogsEvent } from '../lambda/cloudwatch-logs.js';
import { handleS3SqsEvent } from '../lambda/s3-sqs.js';
import { silentLogger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';
import { createReceiver, type Receiver } from '../receiver/server.js';
import { SimulateErrorCode } from './errors.js';
import { createLocalS3Client, type LocalS3Server, startLocalS3Server } from './local-s3.js';

/** The CloudWatch subscription Lambda's code, exactly: `ingestCloudWatchLogsEvent` on this sink. */
export function cloudWatchLambda(config: SinkConfig, sink: Sink) {
  return (event: { awslogs: { data: string } }) =>
    ingestCloudWatchLogsEvent(event, { config, sink, log: silentLogger, metrics: noMetrics });
}

/** The S3/SQS Lambda's code, exactly: `handleS3SqsEvent` with a real S3 client on `endpoint`. */
export function s3SqsLambda(config: SinkConfig, sink: Sink, endpoint: string, logGroup: string) {
  const s3 = createLocalS3Client(endpoint, 3);
  return {
    s3,
    handle: (event: SQSEvent) =>
      handleS3SqsEvent(event, { config, sink, s3, log: silentLogger, metrics: noMetrics, logGroup }),
  };
}

/**
 * `efsink serve`'s receiver (createReceiver, the code the command runs) on 127.0.0.1, port 0, with
 * its assembler loop off: the caller runs assembly passes, so the files' order does not depend on
 * when a timer fired.
 */
export async function startLocalReceiver(
  config: SinkConfig,
  sink: Sink,
  accessKey: string,
  logGroup: string,
): Promise<{ receiver: Receiver; url: string }> {
  const receiver = createReceiver({
    config: loadReceiverConfig({
      host: '127.0.0.1',
      port: 0,
      accessKeys: [accessKey],
      logGroup,
      assembleIntervalSeconds: 0,
      shutdownTimeoutSeconds: 5,
      requestTimeoutSeconds: 30,
    }),
    sinkConfig: config,
    sink,
    log: silentLogger,
  });
  const { port } = await receiver.listen();
  return { receiver, url: `http://127.0.0.1:${port}/` };
}

/** The in-process local S3 server on 127.0.0.1 with `bucket` created; SIMULATE_START_FAILED if it cannot start. */
export async function startLocalS3(bucket: string): Promise<LocalS3Server> {
  try {
    return await startLocalS3Server({ buckets: [bucket] });
  } catch (err) {
    throw new EfsinkError(
      SimulateErrorCode.startFailed,
      `the local S3 server did not start: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
