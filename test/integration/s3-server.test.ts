import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3Server } from '../../src/simulate/local-s3.js';
import { createS3TestClient, type S3Server, startS3Server } from '../support/s3-server.js';

const bucket = 'access-logs';

/**
 * One S3 contract, two servers: s3rver (an independent implementation from npm, the tests' S3) and
 * the in-process server the demo ships (src/simulate/local-s3.ts). Both must pass every case, so
 * the demo's S3 behaves like the one the rest of the suite trusts.
 */
const SERVERS: [string, (buckets: string[]) => Promise<{ endpoint: string; stop(): Promise<void> }>][] = [
  ['s3rver (test/support/s3-server.ts)', (buckets) => startS3Server({ buckets })],
  ['local S3 (src/simulate/local-s3.ts)', (buckets) => startLocalS3Server({ buckets })],
];

describe.each(SERVERS)('%s driven by the real @aws-sdk/client-s3', (_name, start) => {
  let server: { endpoint: string; stop(): Promise<void> };
  let client: S3Client;

  beforeAll(async () => {
    server = await start([bucket]);
    client = createS3TestClient(server.endpoint);
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  async function getBytes(key: string): Promise<Buffer> {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (object.Body === undefined) throw new Error(`GetObject ${key}: no body`);
    return Buffer.from(await object.Body.transformToByteArray());
  }

  it('listens on 127.0.0.1', () => {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('returns every byte value 0..255 and random binary exactly as put', async () => {
    const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(70_000)]);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'bin/all-bytes', Body: body }));
    expect((await getBytes('bin/all-bytes')).equals(body)).toBe(true);
  });

  it('returns a gzip object byte-exact and does not decode it on the way', async () => {
    const lines = Buffer.from('{"requestId":"a"}\n{"requestId":"b"}\r\nno newline at end');
    const gz = gzipSync(lines);
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'gz/batch.gz', Body: gz, ContentType: 'application/gzip' }),
    );
    const got = await getBytes('gz/batch.gz');
    expect(got.equals(gz)).toBe(true);
    expect(gunzipSync(got).equals(lines)).toBe(true);
  });

  it('stores a streaming (aws-chunked, CRC32 trailer) upload without the chunk framing', async () => {
    const parts = [randomBytes(10_000), Buffer.from('\r\n0\r\n'), randomBytes(3)];
    const body = Buffer.concat(parts);
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'stream/object',
        Body: Readable.from(parts),
        ContentLength: body.length,
      }),
    );
    expect((await getBytes('stream/object')).equals(body)).toBe(true);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'stream/object' }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.ContentEncoding ?? '').not.toContain('aws-chunked');
  });

  it('fails an aws-chunked upload whose trailing CRC32 does not match with 400 BadDigest', async () => {
    const framed = '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n';
    const response = await fetch(`${server.endpoint}/${bucket}/bad-digest`, {
      method: 'PUT',
      headers: {
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': '5',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      body: framed,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>BadDigest</Code>');
  });

  it('reports the MD5 of a single-part object as its quoted ETag on Put, Get, Head and List', async () => {
    const body = Buffer.from('etag me\n');
    const md5 = `"${createHash('md5').update(body).digest('hex')}"`;
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'etag/one', Body: body }));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'etag/one' }));
    await got.Body?.transformToByteArray();
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'etag/one' }));
    const list = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'etag/' }));
    expect([put.ETag, got.ETag, head.ETag, list.Contents?.[0]?.ETag]).toEqual([md5, md5, md5, md5]);
    expect(head.ContentLength).toBe(body.length);
  });

  it('lists a prefix page by page with continuation tokens, in key order, without repeats', async () => {
    const keys = Array.from({ length: 23 }, (_, i) => `2024/05/01/obj-${String(i).padStart(3, '0')}.gz`);
    for (const key of keys) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(key) }));
    }
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: '2024/05/02/other.gz', Body: 'x' }));

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: '2024/05/01/',
          MaxKeys: 5,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      pageSizes.push(page.KeyCount ?? -1);
      for (const object of page.Contents ?? []) seen.push(object.Key ?? '');
      expect(page.IsTruncated === true).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token !== undefined);

    expect(seen).toEqual(keys);
    expect(pageSizes).toEqual([5, 5, 5, 5, 3]);
  });

  it('fails GetObject on a missing key with NoSuchKey (404)', async () => {
    const error = await client
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'missing/key' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSuchKey);
    expect((error as NoSuchKey).$metadata.httpStatusCode).toBe(404);
  });

  it('creates buckets through the API too', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'second-bucket' }));
    await client.send(new PutObjectCommand({ Bucket: 'second-bucket', Key: 'k', Body: 'v' }));
    expect((await client.send(new ListObjectsV2Command({ Bucket: 'second-bucket' }))).KeyCount).toBe(1);
  });

  it('fails PutObject into a bucket that does not exist with NoSuchBucket (404)', async () => {
    const error = await client
      .send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'v' }))
      .catch((e: unknown) => e);
    expect((error as { name?: string }).name).toBe('NoSuchBucket');
    expect((error as NoSuchKey).$metadata.httpStatusCode).toBe(404);
  });
});

describe('startS3Server (s3rver)', () => {
  let server: S3Server;
  afterAll(async () => server?.stop());

  it('keeps the buckets it created (by config or by the API) in its directory', async () => {
    server = await startS3Server({ buckets: [bucket] });
    const client = createS3TestClient(server.endpoint);
    await client.send(new CreateBucketCommand({ Bucket: 'second-bucket' }));
    client.destroy();
    expect(await readdir(server.directory)).toEqual(expect.arrayContaining([bucket, 'second-bucket']));
  });
});
