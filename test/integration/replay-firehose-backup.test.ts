import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadReceiverConfig } from '../../src/config/receiver-config.js';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { encodeSubscriptionEnvelope } from '../../src/core/encode/cloudwatch-logs.js';
import { rootLayout } from '../../src/io/layout.js';
import { createSink } from '../../src/io/sink.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createReceiver, type Receiver } from '../../src/receiver/server.js';
import { type CliResult, finished, runCli, spawnCli } from '../support/cli.js';
import { readOutputs } from '../support/corpus.js';
import { backupKey, backupObjectBody, type FailedRequest } from '../support/firehose-backup.js';
import { sendFirehose } from '../support/firehose-client.js';
import {
  createS3TestClient,
  S3_TEST_CREDENTIALS,
  type S3Server,
  startS3Server,
} from '../support/s3-server.js';

// The Firehose HTTP endpoint path's failure channel: the stream's S3 backup of failed requests. The
// real receiver fails on purpose (EFS "down"; one request half-landed), Firehose's error records of
// those requests go to a real S3-compatible server, and `efsink replay firehose-backup` (the built
// CLI) lands them. The files must equal, byte for byte, those of a receiver that got every request
// once, also after a second replay and after SIGKILLs at random moments.

const KEY = 'test-key';
const STREAM = 'amazon-apigateway-test'; // the stream of TEST_SOURCE_ARN
const BUCKET = 'backup';
const PREFIX = 'http-endpoint-failed/';
const T0 = Date.UTC(2025, 7, 6, 14, 57, 0);
const env = {
  AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
};

interface Req {
  readonly requestId: string;
  readonly timestamp: number;
  readonly records: readonly Buffer[];
}
const direct = (i: number): Req => ({
  requestId: `5a9c3b1e-0000-4000-8000-${String(i).padStart(12, '0')}`,
  timestamp: T0 + i * 61_000,
  records: Array.from({ length: 4 }, (_, j) =>
    Buffer.from(`10.0.0.${i} - - "GET /r${i}/${j} HTTP/1.1" 200 ${j}${j === 3 ? '\n' : ''}`),
  ),
});
const envelope = (logGroup: string, base: number) =>
  gzipSync(
    encodeSubscriptionEnvelope({
      logGroup,
      logStream: 'stream-1',
      logEvents: [0, 1, 2].map((k) => ({
        id: `${base}${k}`.padEnd(56, '0'),
        timestamp: base + k * 1000,
        message: Buffer.from(`${logGroup} event ${k}`),
      })),
    }),
  );

let s3server: S3Server;
let s3: S3Client;
let work: string;
const receivers: Receiver[] = [];
beforeAll(async () => {
  s3server = await startS3Server({ buckets: [BUCKET] });
  s3 = createS3TestClient(s3server.endpoint);
});
afterAll(async () => {
  s3?.destroy();
  await s3server?.stop();
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-replay-firehose-'));
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  await rm(work, { recursive: true, force: true });
});

async function startReceiver(root: string): Promise<string> {
  const sinkConfig = loadSinkConfig({ root }, 'flags');
  const sink = createSink(sinkConfig, { log: silentLogger });
  const config = loadReceiverConfig({
    port: 0,
    accessKeys: [KEY],
    logGroup: 'api-access',
    assembleIntervalSeconds: 0,
  });
  const receiver = createReceiver({ config, sinkConfig, sink, log: silentLogger });
  receivers.push(receiver);
  return `http://127.0.0.1:${(await receiver.listen()).port}/`;
}

const post = (url: string, r: Req) =>
  sendFirehose({ url, accessKey: KEY, requestId: r.requestId, timestamp: r.timestamp, records: r.records });

/** A receiver that got every request exactly once, then one assembly pass. */
async function reference(requests: readonly Req[]): Promise<Map<string, Buffer>> {
  const root = join(work, `reference-${receivers.length}`);
  const url = await startReceiver(root);
  for (const r of requests) expect((await post(url, r)).status).toBe(200);
  await createSink(loadSinkConfig({ root }, 'flags'), { log: silentLogger }).assemble();
  return readOutputs(root);
}

const put = (key: string, body: Buffer) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
const replayArgs = (root: string, prefix: string, extra: string[] = []) => [
  'replay',
  'firehose-backup',
  '--bucket',
  BUCKET,
  '--prefix',
  prefix,
  '--root',
  root,
  '--endpoint',
  s3server.endpoint,
  '--log-group',
  'api-access',
  '--segment-retention-seconds',
  '0',
  '--json',
  ...extra,
];

describe('efsink replay firehose-backup (HTTP endpoint S3 backup objects)', () => {
  it('lands failed requests as the receiver would have, leaves out what it landed, refuses other objects, twice', async () => {
    const prefix = `${PREFIX}a/`;
    const root = join(work, 'efs');
    const url = await startReceiver(root);
    const layout = rootLayout(root);
    const reqs = Array.from({ length: 6 }, (_, i) => direct(i));
    const cw: Req = {
      requestId: '5a9c3b1e-0000-4000-8000-00000000c0c0',
      timestamp: T0 + 30_000,
      records: [envelope('groupA', T0 + 1_500), envelope('groupB', T0 + 2_500)],
    };
    // Never answered (Firehose timed out): the backup names no request id; its arrival time is the
    // request's timestamp here, so the reference receiver routes it alike.
    const silent: Req = { ...direct(9), timestamp: T0 + 9 * 61_000 };

    // 0–2 delivered. 3–5 while their output folder is broken: the receiver pins each request's
    // timestamp, then fails to land (500), on the first attempt and on Firehose's retry. Firehose
    // received their records 5 s before it sent them (buffering): the replay must still use the
    // pinned request timestamp, which puts request 3 (15:00:03, arrived 14:59:58) in the 15h file.
    for (const r of reqs.slice(0, 3)) expect((await post(url, r)).status).toBe(200);
    await writeFile(join(layout.segments, 'api-access/2025/08/06/15.log'), 'not a folder');
    const failed: FailedRequest[] = [];
    for (const r of reqs.slice(3)) {
      await post(url, r);
      const last = await post(url, r);
      expect(last.status).toBe(500);
      failed.push({
        requestId: r.requestId,
        records: r.records,
        arrivalMs: r.timestamp - 5_000,
        lastResponse: { status: last.status, body: JSON.stringify(last.json) },
      });
    }
    await rm(join(layout.segments, 'api-access/2025/08/06/15.log'));
    // The CloudWatch-payload request half-lands: groupA's segment is durable, groupB's folder is broken.
    await writeFile(join(layout.segments, 'groupB'), 'not a folder');
    const half = await post(url, cw);
    expect(half.status).toBe(500);
    await rm(join(layout.segments, 'groupB'));
    failed.push({
      requestId: cw.requestId,
      records: cw.records,
      arrivalMs: cw.timestamp - 5_000,
      lastResponse: { status: 500, body: JSON.stringify(half.json) },
    });
    failed.push({ requestId: silent.requestId, records: silent.records, arrivalMs: silent.timestamp });

    await put(backupKey(prefix, STREAM, T0 + 600_000, 1), backupObjectBody(failed.slice(0, 2)));
    await put(backupKey(prefix, STREAM, T0 + 660_000, 2), backupObjectBody(failed.slice(2)));
    // Not a backup object (an access log someone copied under the prefix): refused whole.
    const stray = backupKey(prefix, STREAM, T0 + 700_000, 3);
    await put(stray, gzipSync('10.0.0.1 - - "GET / HTTP/1.1" 200 1\n'));

    const first = await runCli(replayArgs(root, prefix), env);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toContain(`s3://${BUCKET}/${stray}: INPUT_NOT_FIREHOSE_ERROR_RECORDS`);
    expect(JSON.parse(first.stdout)).toMatchObject({
      objectsRead: 3,
      objectsLanded: 2,
      failed: [{ key: stray }],
    });
    const expected = await reference([...reqs, cw, silent]);
    expect(await readOutputs(root)).toEqual(expected);

    // The same failures replayed again from scratch (no checkpoint): nothing changes.
    await rm(join(layout.internal, 'backfill'), { recursive: true });
    const second = await runCli(replayArgs(root, prefix), env);
    expect(second.code).toBe(1);
    expect(JSON.parse(second.stdout)).toMatchObject({ objectsRead: 3, assembly: { appendedSegments: 0 } });
    expect(await readOutputs(root)).toEqual(expected);
  });

  it('converges to the same files when SIGKILLed at random moments and restarted', async () => {
    const prefix = `${PREFIX}k/`;
    const requests = Array.from({ length: 24 }, (_, i) => direct(i));
    // Requests the receiver never landed (it answered 503), two per backup object.
    for (let o = 0; o < 12; o++) {
      const pair = requests.slice(o * 2, o * 2 + 2).map((r) => ({
        requestId: r.requestId,
        records: r.records,
        arrivalMs: r.timestamp,
        lastResponse: {
          status: 503,
          body: JSON.stringify({
            requestId: r.requestId,
            timestamp: r.timestamp,
            errorMessage: 'RECEIVER_OVERLOADED: busy',
          }),
        },
      }));
      await put(backupKey(prefix, STREAM, T0 + o * 60_000, o), backupObjectBody(pair));
    }
    const root = join(work, 'killed');
    const ckDir = join(root, '.efsink', 'backfill');
    const progress = async (): Promise<number> => {
      try {
        const [name] = await readdir(ckDir);
        if (name === undefined) return -1;
        return (JSON.parse(await readFile(join(ckDir, name), 'utf8')) as { objectsRead: number }).objectsRead;
      } catch {
        return -1;
      }
    };
    let seed = 0x2b1d;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let kills = 0;
    let done: CliResult | undefined;
    for (let attempt = 0; attempt < 20 && done === undefined; attempt++) {
      const before = await progress();
      const child = spawnCli(replayArgs(root, prefix, ['--page-size', '2']), env);
      const run = finished(child);
      let armed = attempt < 6;
      const extraMs = Math.floor(random() * 40);
      const poll = setInterval(() => {
        if (!armed) return;
        void progress().then((p) => {
          if (armed && p > before) {
            armed = false;
            setTimeout(() => child.kill('SIGKILL'), extraMs);
          }
        });
      }, 5);
      const r = await run;
      clearInterval(poll);
      if (r.signal === 'SIGKILL') kills++;
      else done = r;
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(done?.code, done?.stderr).toBe(0);
    expect(JSON.parse(done?.stdout ?? '{}')).toMatchObject({ objectsRead: 12, failed: [] });
    expect(await readOutputs(root)).toEqual(await reference(requests));
  });
});
