import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LambdaReplayDeps, type RecordOutcome, replayInvocationText } from './lambda-failures.js';

/**
 * The SQS client of `replay lambda-failures --queue`: credentials and Region from the AWS SDK's
 * chain (AWS_REGION, ~/.aws/config) unless `region` (--region) says otherwise; no default of ours.
 */
export function createSqsClient(opts: {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
}): SQSClient {
  return new SQSClient({
    ...(opts.region !== undefined ? { region: opts.region } : {}),
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
  });
}

export interface DrainOptions {
  readonly queueUrl: string;
  readonly client: SQSClient;
  /** ReceiveMessage long polling: empty answers then mean the queue is drained. @default 2 s */
  readonly waitSeconds: number;
  /** How long a received message stays hidden while its payload lands. @default 300 s */
  readonly visibilityTimeoutSeconds: number;
  /** Stop after this many messages. @default no limit */
  readonly maxMessages?: number | undefined;
  readonly deps: LambdaReplayDeps;
}

export interface DrainReport {
  readonly received: number;
  readonly deleted: number;
  /** Messages left in the queue because one of their records failed (visible again after the timeout). */
  readonly kept: number;
  readonly outcomes: readonly RecordOutcome[];
}

/**
 * Drains an on-failure queue: receives messages (long polling), replays every invocation record
 * in each, and deletes a message only once every record in it landed durably (or was already
 * there). A message with a failed record stays in the queue and is not tried again in this run;
 * the run ends at the first receive that brings nothing new.
 */
export async function drainLambdaFailureQueue(opts: DrainOptions): Promise<DrainReport> {
  const { client, queueUrl } = opts;
  const failed = new Set<string>();
  const outcomes: RecordOutcome[] = [];
  let received = 0;
  let deleted = 0;
  for (;;) {
    const room = opts.maxMessages === undefined ? 10 : Math.min(10, opts.maxMessages - received);
    if (room <= 0) break;
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: room,
        WaitTimeSeconds: opts.waitSeconds,
        VisibilityTimeout: opts.visibilityTimeoutSeconds,
      }),
    );
    const fresh = (out.Messages ?? []).filter((m) => !failed.has(m.MessageId ?? ''));
    if (fresh.length === 0) break;
    for (const m of fresh) {
      received++;
      const id = m.MessageId ?? `#${received}`;
      const results = await replayInvocationText(m.Body ?? '', `sqs:${id}`, opts.deps);
      outcomes.push(...results);
      if (results.length > 0 && results.every((r) => r.ok)) {
        // Only now: every record's segments are durable (fsync + rename + directory fsync).
        await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        deleted++;
      } else {
        failed.add(id);
      }
    }
  }
  return { received, deleted, kept: failed.size, outcomes };
}
