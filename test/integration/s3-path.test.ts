import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSinkConfig, type SinkConfig } from '../../src/config/sink-config.js';
import { createSink, type Sink } from '../../src/io/sink.js';
import { handleS3SqsEvent, ingestS3Object, type S3IngestDeps } from '../../src/lambda/s3-sqs.js';
import { silentLogger } from '../../src/observability/logger.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { runCli } from '../support/cli.js';
import {
  createS3TestClient,
  S3_TEST_CREDENTIALS,
  type S3Server,
  startS3Server,
} from '../support/s3-server.js';

const bucket = 'firehose-logs';
const STREAM = 'amazon-apigateway-shop';
const UUID = '796e56c0-7fdf-47b7-9268-38b875bb62d2';
/** A key exactly as Firehose names objects: prefix yyyy/MM/dd/HH/, stream-version-time-uuid. */
const firehoseKey = (prefix: string, minute: number, ext = '') =>
  `${prefix}2025/08/06/14/${STREAM}-1-2025-08-06-14-${String(minute).padStart(2, '0')}-00-${UUID}${ext}`;
const OUT = `${STREAM}/2025/08/06/14.log`;

/** S3 notification keys are form-URL-encoded: space → '+', '+' → '%2B', UTF-8 percent-encoded. */
const formEncode = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

function sqsMessage(messageId: string, keys: readonly string[]): SQSRecord {
  const body = {
    Records: keys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2025-08-06T14:05:01.000Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: bucket },
        object: { key: formEncode(key), size: 1, sequencer: '0A' },
      },
    })),
  };
  return { messageId, body: JSON.stringify(body) } as SQSRecord;
}
const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

describe('Firehose → S3 → SQS → Lambda against a real S3-compatible server and the real SDK', () => {
  let server: S3Server;
  let client: S3Client;
  let root: string;
  let config: SinkConfig;
  let sink: Sink;
  let deps: S3IngestDeps;

  beforeAll(async () => {
    server = await startS3Server({ buckets: [bucket] });
    client = createS3TestClient(server.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'efsink-s3-path-'));
    config = loadSinkConfig({ root }, 'flags');
    sink = createSink(config, { log: silentLogger });
    deps = { config, sink, s3: client, log: silentLogger, metrics: noMetrics };
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const put = (key: string, body: Uint8Array) =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const output = async (relPath = OUT) => {
    await sink.assemble();
    return readFile(join(root, relPath));
  };

  it('lands an object of undelimited records byte-exact, one newline after it, in the hour of its name', async () => {
    const key = firehoseKey('plain/', 1);
    await put(key, Buffer.from('{"a":1}{"b":2}'));
    const res = await handleS3SqsEvent(sqsEvent(sqsMessage('m1', [key])), deps);
    expect(res).toEqual({ batchItemFailures: [] });
    expect((await output()).toString()).toBe('{"a":1}{"b":2}\n');
  });

  it('gunzips GZIP objects, multi-member ones too, keeping newline-delimited records exactly', async () => {
    const records = Buffer.from('l1 GET / 200\nl2 \xff\r\n\nl4\n', 'latin1');
    const single = firehoseKey('gz/', 2, '.gz');
    const multi = firehoseKey('gz/', 3, '.gz');
    await put(single, gzipSync(records));
    await put(
      multi,
      Buffer.concat([gzipSync(records.subarray(0, 5)), gzipSync(records.subarray(5)), gzipSync('')]),
    );
    const res = await handleS3SqsEvent(sqsEvent(sqsMessage('m1', [single, multi])), deps);
    expect(res.batchItemFailures).toEqual([]);
    expect((await output()).equals(Buffer.concat([records, records]))).toBe(true);
  });

  it('decodes form-URL-encoded keys: spaces, "+" and unicode', async () => {
    const key = firehoseKey('my logs/a+b/é ü/', 4);
    await put(key, Buffer.from('line\n'));
    expect(formEncode(key)).toContain('my+logs/a%2Bb/%C3%A9+%C3%BC/');
    const res = await handleS3SqsEvent(sqsEvent(sqsMessage('m1', [key])), deps);
    expect(res.batchItemFailures).toEqual([]);
    expect((await output()).toString()).toBe('line\n');
  });

  it('routes objects without a Firehose name by LastModified, under the configured log group', async () => {
    await put('odd name+.log', Buffer.from('x\n'));
    const r = await ingestS3Object({ bucket, key: 'odd name+.log' }, { ...deps, logGroup: 'api-access' });
    expect(r.segmentsLanded).toBe(1);
    await sink.assemble();
    const [year] = await readdir(join(root, 'api-access'));
    expect(year).toMatch(/^\d{4}$/);
  });

  it('makes a redelivered notification a no-op (same file bytes)', async () => {
    const key = firehoseKey('redeliver/', 5);
    await put(key, Buffer.from('once\n'));
    await handleS3SqsEvent(sqsEvent(sqsMessage('m1', [key])), deps);
    const first = await output();
    const again = await ingestS3Object({ bucket, key }, deps);
    expect(again.segmentsLanded).toBe(0);
    await handleS3SqsEvent(sqsEvent(sqsMessage('m2', [key]), sqsMessage('m3', [key])), deps);
    expect((await output()).equals(first)).toBe(true);
    expect(first.toString()).toBe('once\n');
  });

  it('reports only the failed messages: a missing object and a garbage body do not block the good ones', async () => {
    const good1 = firehoseKey('batch/', 6);
    const good2 = firehoseKey('batch/', 7);
    await put(good1, Buffer.from('g1\n'));
    await put(good2, Buffer.from('g2\n'));
    const testEvent = {
      messageId: 'test',
      body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: bucket }),
    };
    const res = await handleS3SqsEvent(
      sqsEvent(
        sqsMessage('good-1', [good1]),
        sqsMessage('missing', [firehoseKey('batch/', 8)]),
        testEvent as SQSRecord,
        { messageId: 'garbage', body: 'not json' } as SQSRecord,
        sqsMessage('good-2', [good2]),
      ),
      deps,
    );
    expect(res).toEqual({
      batchItemFailures: [{ itemIdentifier: 'missing' }, { itemIdentifier: 'garbage' }],
    });
    expect((await output()).toString()).toBe('g1\ng2\n');
  });

  it('runs the same code from the CLI: efsink ingest s3 --endpoint', async () => {
    const key = firehoseKey('cli/', 9, '.gz');
    await put(key, gzipSync('from cli\n'));
    const env = {
      AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
    const args = [
      'ingest',
      's3',
      '--root',
      root,
      '--bucket',
      bucket,
      '--key',
      key,
      '--endpoint',
      server.endpoint,
    ];
    const r = await runCli(args, env);
    // (The SDK may print a NodeVersionSupport warning on Node 20; no efsink error may appear.)
    expect(r.stderr).not.toMatch(/^[A-Z0-9_]+: /m);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ingested s3:\/\/firehose-logs\/.*: 9 bytes landed\n$/);
    expect((await runCli(args, env)).stdout).toMatch(/duplicate/);
    const missing = await runCli([...args.slice(0, 7), 'nope', ...args.slice(8)], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^S3_NoSuchKey: /m);
    expect((await output()).toString()).toBe('from cli\n');
  });
});
