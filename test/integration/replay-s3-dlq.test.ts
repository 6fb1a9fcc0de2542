import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { rootLayout } from '../../src/io/layout.js';
import { createSink } from '../../src/io/sink.js';
import { handleS3SqsEvent } from '../../src/lambda/s3-sqs.js';
import { silentLogger } from '../../src/observability/logger.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { readOutputs } from '../support/corpus.js';
import { createS3TestClient, type S3Server, startS3Server } from '../support/s3-server.js';
import { createSqsTestClient, type SqsServer, startSqsServer } from '../support/sqs-server.js';

// The Firehose → S3 → SQS path's failure channel: the queue's dead-letter queue. Its recovery step is
// SQS's own DLQ redrive (StartMessageMoveTask), after which the S3 path's handler processes the
// moved messages as any others. Here the handler fails on purpose (EFS "down": a file where the temp
// folder should be), SQS dead-letters the messages after maxReceiveCount receives, EFS comes back,
// the DLQ is redriven, and the files must equal, byte for byte, a clean run's.

const bucket = 'firehose-logs';
const STREAM = 'amazon-apigateway-shop';
const key = (minute: number) =>
  `access-logs/2025/08/06/14/${STREAM}-1-2025-08-06-14-${String(minute).padStart(2, '0')}-00-796e56c0-7fdf-47b7-9268-38b875bb62d2`;
const objects = Array.from({ length: 6 }, (_, i) => ({
  key: key(i * 7),
  body: Buffer.from(
    Array.from(
      { length: 5 },
      (_, j) => `10.0.0.${i} - - [06/Aug/2025:14:${i * 7}:0${j} +0000] "GET /o${i}/${j}" 200 ${j}`,
    ).join('\n'),
  ),
}));
const notification = (k: string) =>
  JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: k, size: 1 } },
      },
    ],
  });

let now = 1_800_000_000_000;
let s3server: S3Server;
let s3: S3Client;
let sqsServer: SqsServer;
let sqs: SQSClient;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-s3-dlq-'));
  s3server = await startS3Server({ buckets: [bucket] });
  s3 = createS3TestClient(s3server.endpoint);
  sqsServer = await startSqsServer({ nowMs: () => now });
  sqs = createSqsTestClient(sqsServer.endpoint);
  for (const o of objects) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body }));
});
afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await sqsServer?.stop();
  await s3server?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('S3 path: a native SQS DLQ redrive is the recovery step', () => {
  it('dead-letters failed messages, and the redriven messages land byte-exact with no duplicates, twice', async () => {
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'efsink-s3-dlq' }))).QueueUrl as string;
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn as string;
    const queue = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'efsink-s3-notifications',
          Attributes: {
            VisibilityTimeout: '60',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }),
          },
        }),
      )
    ).QueueUrl as string;
    const root = join(work, 'efs');
    const config = loadSinkConfig({ root }, 'flags');
    const sink = createSink(config, { log: silentLogger });
    const deps = { config, sink, s3, log: silentLogger, metrics: noMetrics };

    /** One poll of the event source mapping: receive, invoke the handler, delete what it did not report. */
    const poll = async (): Promise<number> => {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }));
      const messages = got.Messages ?? [];
      if (messages.length === 0) return 0;
      const event: SQSEvent = {
        Records: messages.map(
          (m) =>
            ({
              messageId: m.MessageId,
              receiptHandle: m.ReceiptHandle,
              body: m.Body,
              eventSource: 'aws:sqs',
            }) as SQSEvent['Records'][number],
        ),
      };
      const { batchItemFailures } = await handleS3SqsEvent(event, deps);
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of messages)
        if (!failed.has(m.MessageId as string))
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: m.ReceiptHandle }));
      return messages.length;
    };
    const notify = (k: string) =>
      sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: notification(k) }));

    // Healthy: the first two objects land.
    for (const o of objects.slice(0, 2)) await notify(o.key);
    await poll();
    // EFS down: the other four, and a redelivered notification of the first, fail on every receive.
    const tmp = rootLayout(root).tmp;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(join(tmp, '..'), { recursive: true });
    await writeFile(tmp, 'not a folder');
    for (const o of objects.slice(2)) await notify(o.key);
    await notify(objects[0]?.key as string);
    // The redelivered notification succeeds at once (its segment is already durable, nothing to
    // write); the four others fail on every receive until SQS dead-letters them.
    for (const expected of [5, 4, 4]) {
      expect(await poll()).toBe(expected);
      now += 61_000; // the visibility timeout runs out; SQS counts another receive
    }
    expect(await poll()).toBe(0);
    expect(sqsServer.bodies(dlq)).toHaveLength(4);

    // EFS back; the recovery step: redrive the DLQ to its source queue, and the function drains it.
    await rm(tmp);
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(sqsServer.bodies(dlq)).toHaveLength(0);
    expect(await poll()).toBe(4);
    expect(await poll()).toBe(0);
    expect(sqsServer.bodies(queue)).toHaveLength(0);
    await sink.assemble();

    // A clean run: every object landed exactly once.
    const refRoot = join(work, 'reference');
    const refConfig = loadSinkConfig({ root: refRoot }, 'flags');
    const refSink = createSink(refConfig, { log: silentLogger });
    for (const o of objects) await notify(o.key);
    const refEvent = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }));
    const { batchItemFailures } = await handleS3SqsEvent(
      {
        Records: (refEvent.Messages ?? []).map(
          (m) =>
            ({ messageId: m.MessageId, body: m.Body, eventSource: 'aws:sqs' }) as SQSEvent['Records'][number],
        ),
      },
      { ...deps, config: refConfig, sink: refSink },
    );
    expect(batchItemFailures).toEqual([]);
    await refSink.assemble();
    const expected = await readOutputs(refRoot);
    expect([...expected.keys()]).toEqual([`${STREAM}/2025/08/06/14.log`]);
    expect(await readOutputs(root)).toEqual(expected);

    // The same failures redriven a second time (the messages were also kept elsewhere): no change.
    now += 61_000;
    for (const o of objects.slice(2)) await notify(o.key);
    while ((await poll()) > 0) {}
    await sink.assemble();
    expect(await readOutputs(root)).toEqual(expected);
  });
});
