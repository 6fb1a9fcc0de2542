import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { rootLayout } from '../../src/io/layout.js';
import { createSink } from '../../src/io/sink.js';
import { ingestCloudWatchLogsEvent } from '../../src/lambda/cloudwatch-logs.js';
import { silentLogger } from '../../src/observability/logger.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { runCli } from '../support/cli.js';
import {
  buildCorpus,
  type Delivery,
  expectedMultiset,
  lineMultiset,
  readOutputs,
} from '../support/corpus.js';
import { invocationRecordOf, snsNotificationOf } from '../support/lambda-destinations.js';
import {
  createSqsTestClient,
  SQS_TEST_CREDENTIALS,
  type SqsServer,
  startSqsServer,
} from '../support/sqs-server.js';

// The CloudWatch path's failure channel end to end: the live handler code fails on a real file-system
// error (EFS "down": a file where the temp folder should be), Lambda's on-failure destination gets
// the invocation records (SQS, some through SNS), EFS comes back, and `efsink replay lambda-failures`
// (the built CLI, the real SQS SDK) re-lands them. With no assembly between the failures and the
// replay, the files must equal, byte for byte, those of a clean run that got every delivery once.

const corpus = buildCorpus({
  streams: 3,
  payloadsPerStream: 6,
  eventsPerPayload: 15,
  startMs: Date.UTC(2025, 7, 6, 14, 59, 20),
  stepMs: 900,
});
const env = {
  AWS_ACCESS_KEY_ID: SQS_TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SQS_TEST_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
};

let work: string;
let sqs: SqsServer;
let client: SQSClient;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-replay-lambda-'));
  sqs = await startSqsServer();
  client = createSqsTestClient(sqs.endpoint);
});
afterEach(async () => {
  client.destroy();
  await sqs.stop();
  await rm(work, { recursive: true, force: true });
});

/** The files a clean run produces: every delivery landed once, then assembled. */
async function reference(deliveries: readonly Delivery[]): Promise<Map<string, Buffer>> {
  const root = join(work, 'reference');
  const config = loadSinkConfig({ root }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  for (const d of deliveries)
    await ingestCloudWatchLogsEvent(d.event, { config, sink, log: silentLogger, metrics: noMetrics });
  await sink.assemble();
  return readOutputs(root);
}

/**
 * Runs the live handler for each delivery (then one assembly pass if `assemble`); while `broken(i)`, the root's temp folder is a file, so
 * landing fails with ENOTDIR (as a Lambda whose EFS mount fails), and the failed event's invocation
 * record is returned as Lambda's on-failure destination would get it.
 */
async function liveRun(
  root: string,
  broken: (i: number) => boolean,
  assemble: boolean,
): Promise<{ failed: Record<string, unknown>[] }> {
  const config = loadSinkConfig({ root }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  const tmp = rootLayout(root).tmp;
  const failed: Record<string, unknown>[] = [];
  for (const [i, d] of corpus.entries()) {
    await rm(tmp, { recursive: true, force: true });
    if (broken(i)) {
      await mkdir(join(tmp, '..'), { recursive: true });
      await writeFile(tmp, 'not a folder');
    }
    try {
      await ingestCloudWatchLogsEvent(d.event, { config, sink, log: silentLogger, metrics: noMetrics });
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOTDIR');
      failed.push(invocationRecordOf(d.event, err as Error, { requestId: `req-${i}` }));
    }
  }
  await rm(tmp, { recursive: true, force: true });
  if (assemble) await sink.assemble();
  return { failed };
}

describe('efsink replay lambda-failures (CloudWatch on-failure records)', () => {
  it('drains an on-failure queue: byte-exact files, no duplicates, bad records refused and kept, twice', async () => {
    const root = join(work, 'efs');
    const { failed } = await liveRun(root, (i) => i % 3 === 1, false);
    expect(failed).toHaveLength(6);
    const queue = (await client.send(new CreateQueueCommand({ QueueName: 'efsink-cloudwatch-failures' })))
      .QueueUrl as string;
    const send = (body: unknown) =>
      client.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: JSON.stringify(body) }));
    for (const [i, record] of failed.entries()) {
      // Half through SNS (the topic's envelope), half straight from Lambda.
      await send(i % 2 === 0 ? record : snsNotificationOf(JSON.stringify(record)));
    }
    // A delivery that landed but was still reported failed (say, the function timed out after the
    // fsync): replaying it must change nothing.
    await send(invocationRecordOf(corpus[0]?.event, new Error('Task timed out after 60.00 seconds')));
    // Lambda dropped the payload (the record was over the destination's limit), and a record from
    // some other function: both refused with their codes, both left in the queue.
    await send(invocationRecordOf(corpus[2]?.event, new Error('boom'), { dropPayload: true }));
    await send(invocationRecordOf({ detail: { orderId: 7 } }, new Error('boom')));

    const replay = () =>
      runCli(
        [
          'replay',
          'lambda-failures',
          '--root',
          root,
          '--queue',
          queue,
          '--wait-seconds',
          '1',
          '--segment-retention-seconds',
          '0',
          '--json',
        ],
        env,
      );
    // EFS still down during a first replay: nothing lands, so no message may be deleted, except the
    // one whose segments were already durable (landing it writes nothing).
    const tmp = rootLayout(root).tmp;
    await writeFile(tmp, 'not a folder');
    const down = await runCli(
      [
        'replay',
        'lambda-failures',
        '--root',
        root,
        '--queue',
        queue,
        '--wait-seconds',
        '0',
        '--visibility-timeout-seconds',
        '1',
        '--no-assemble',
        '--json',
      ],
      env,
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('FS_ENOTDIR');
    expect(JSON.parse(down.stdout)).toMatchObject({
      landed: 0,
      messages: { received: 9, deleted: 1, kept: 8 },
    });
    expect(sqs.bodies(queue)).toHaveLength(8);
    await rm(tmp);
    await new Promise((r) => setTimeout(r, 1_100)); // the 1 s visibility timeout runs out

    const first = await replay();
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toMatch(/INPUT_INVOCATION_RECORD_NO_PAYLOAD: .*no requestPayload/);
    expect(first.stderr).toMatch(/INPUT_UNSUPPORTED_PAYLOAD: .*got \{"detail":\{"orderId":7\}\}/);
    const summary = JSON.parse(first.stdout) as {
      records: number;
      landed: number;
      alreadyPresent: number;
      messages: unknown;
    };
    expect(summary).toMatchObject({
      records: 8,
      landed: 6,
      alreadyPresent: 0,
      messages: { received: 8, deleted: 6, kept: 2 },
    });
    const expected = await reference(corpus);
    expect(await readOutputs(root)).toEqual(expected);
    // Only the two refused records are still in the queue.
    expect(sqs.bodies(queue).map((b) => JSON.parse(b).requestContext.requestId)).toHaveLength(2);
    // One DeleteMessage per landed message over both runs (the first run deleted only the already-durable one).
    expect(sqs.operations.filter((o) => o.operation === 'DeleteMessage')).toHaveLength(7);

    // The same failures replayed again (say, the records were also kept in S3): nothing changes.
    for (const record of failed) await send(record);
    const second = await replay();
    // Their segments were assembled and pruned (retention 0): their markers (ADR 0013) make landing
    // skip every one of them, and the assembler appends nothing.
    const again = JSON.parse(second.stdout) as {
      landed: number;
      alreadyPresent: number;
      assembly: { appendedSegments: number };
    };
    expect(again).toMatchObject({ landed: 0, alreadyPresent: 6 });
    expect(again.assembly.appendedSegments).toBe(0);
    expect(await readOutputs(root)).toEqual(expected);
  });

  it('reads records from files and stdin (JSON and JSON Lines, S3-destination objects)', async () => {
    const root = join(work, 'efs');
    const { failed } = await liveRun(root, (i) => i >= 12, true);
    expect(failed).toHaveLength(6);
    const dir = join(work, 'records');
    await mkdir(dir);
    // As an S3 on-failure destination stores them: one JSON object per record.
    const files: string[] = [];
    for (const [i, record] of failed.slice(0, 3).entries()) {
      const f = join(dir, `2025-08-06T15.00.0${i}-record-${i}`);
      await writeFile(f, JSON.stringify(record, null, 2));
      files.push(f);
    }
    const viaFiles = await runCli(['replay', 'lambda-failures', '--root', root, ...files], env);
    expect(viaFiles.code, viaFiles.stderr).toBe(0);
    const lines = failed
      .slice(3)
      .map((r) => JSON.stringify(r))
      .join('\n');
    const viaStdin = await runCli(
      ['replay', 'lambda-failures', '--root', root, '--segment-retention-seconds', '0', '--json'],
      env,
      `${lines}\n`,
    );
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect(JSON.parse(viaStdin.stdout)).toMatchObject({ records: 3, landed: 3 });
    // The live run assembled before the replay, so replayed units follow in the files (append-only):
    // compare lines, each exactly once.
    expect(lineMultiset(await readOutputs(root))).toEqual(expectedMultiset(corpus));
    // Not JSON at all: a usage-level refusal of that input only.
    const garbage = await runCli(['replay', 'lambda-failures', '--root', root], env, 'not json');
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('stdin: INPUT_INVALID_INVOCATION_RECORD: stdin: not JSON');
  });
});
