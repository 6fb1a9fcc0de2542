import { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { resolveSettings } from '../config/settings-resolve.js';
import { SINK_KEYS, sinkConfigOf } from '../config/sink-config.js';
import { createSink } from '../io/sink.js';
import { METRICS_SERVICE } from '../observability/metrics.js';
import { powertools } from './powertools.js';
import { handleS3SqsEvent } from './s3-sqs.js';

// Validated once at cold start: a bad deployment fails at init, not per message.
const settings = resolveSettings([...SINK_KEYS, 'logLevel', 'logGroup'] as const, { env: process.env });
const config = sinkConfigOf(settings);
const logGroup = settings.logGroup;
const { log, metrics, flush } = powertools(METRICS_SERVICE.s3Sqs, settings.logLevel);
const sink = createSink(config, { log });
const s3 = new S3Client({});

/**
 * SQS queue of S3 ObjectCreated notifications (Firehose → S3) → EFS. Needs the event source mapping's
 * `FunctionResponseTypes: ["ReportBatchItemFailures"]`; returns the ids of the messages to retry.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  try {
    return await handleS3SqsEvent(event, { config, sink, s3, log, metrics, logGroup });
  } finally {
    flush();
  }
}
