import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadReceiverConfig } from '../../src/config/receiver-config.js';
import { encodeSubscriptionEnvelope } from '../../src/core/encode/cloudwatch-logs.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createReceiver, type Receiver } from '../../src/receiver/server.js';
import {
  type CloudWatchLogsServer,
  createCloudWatchLogsTestClient,
  type StoredLogEvent,
  startCloudWatchLogsServer,
} from '../support/cloudwatch-logs-server.js';
import { sendFirehose } from '../support/firehose-client.js';
import {
  actualFiles,
  expectedFiles,
  GROUP,
  HOUR,
  makeSink,
  runBackfill,
  runVerify,
  seedEvents,
  T0,
} from './backfill-support.js';

const KEY = 'test-key';
const RANGE = { startMs: T0, endMs: T0 + 3 * HOUR };

let work: string;
let server: CloudWatchLogsServer | undefined;
let client: CloudWatchLogsClient | undefined;
let receiver: Receiver | undefined;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-receiver-backfill-'));
});
afterEach(async () => {
  await receiver?.close();
  client?.destroy();
  await server?.stop();
  receiver = undefined;
  server = undefined;
  client = undefined;
  await rm(work, { recursive: true, force: true });
});

/** One CloudWatch Logs subscription payload as Firehose carries it: a gzip record. */
const payloadRecord = (stream: string, events: readonly StoredLogEvent[]) =>
  gzipSync(
    encodeSubscriptionEnvelope({
      logGroup: GROUP,
      logStream: stream,
      logEvents: events.map((e) => ({ id: e.eventId, timestamp: e.timestamp, message: e.message })),
    }),
  );

describe('CloudWatch Logs payloads that arrive through the Firehose HTTP endpoint (issue 11, item 8)', () => {
  it('are described by event id, so a backfill over their range adds nothing (part assembled, part pending)', async () => {
    server = await startCloudWatchLogsServer({ maxEventsPerPage: 13 });
    client = createCloudWatchLogsTestClient(server.endpoint);
    const perStream = seedEvents(server, 3, 60, 70_000);
    const root = join(work, 'efs');
    const { config: sinkConfig, sink } = makeSink(root);
    receiver = createReceiver({
      config: loadReceiverConfig({ port: 0, accessKeys: [KEY], assembleIntervalSeconds: 0 }),
      sinkConfig,
      sink,
      log: silentLogger,
    });
    const { port } = await receiver.listen();
    const url = `http://127.0.0.1:${port}/`;

    // Subscription payloads of 6 events, the first 42 events of each stream (they cross the 14:00
    // boundary), three streams' payloads in each Firehose request, every other request
    // gzip-compressed; one request's payloads delivered again under a new request id (CloudWatch
    // Logs → Firehose is at least once).
    const payloads: Buffer[] = [];
    for (let i = 0; i < 42; i += 6) {
      for (const [s, events] of perStream.entries())
        payloads.push(payloadRecord(`stream-${s}`, events.slice(i, i + 6)));
    }
    let delivered = 0;
    for (let r = 0; r * 3 < payloads.length; r++) {
      const records = payloads.slice(r * 3, r * 3 + 3);
      const res = await sendFirehose({ url, accessKey: KEY, gzip: r % 2 === 0, records });
      expect(res.status).toBe(200);
      delivered++;
      if (r === 3) await receiver.assembleOnce(); // some assembled, the rest pending
    }
    expect(delivered).toBe(7);
    expect((await sendFirehose({ url, accessKey: KEY, records: payloads.slice(0, 3) })).status).toBe(200);

    const report = await runBackfill(client, root, RANGE);
    const viaHttp = 3 * 42;
    expect(report.checkpoint.eventsSkipped).toBe(viaHttp);
    expect(report.checkpoint.eventsLanded).toBe(3 * 60 - viaHttp);
    expect(await actualFiles(root)).toEqual(expectedFiles(perStream.flat()));
    const v = await runVerify(client, root, RANGE);
    expect(v.comparison).toMatchObject({
      sourceLines: v.comparison.storedLines,
      missing: { count: 0 },
      extra: { count: 0 },
      duplicated: { count: 0 },
    });
  });
});
