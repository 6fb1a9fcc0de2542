import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { checksumMismatch, decodeAwsChunked, escapeXml, isAwsChunked, s3ErrorXml } from './aws-chunked.js';

/**
 * A small in-process S3-compatible server for `efsink demo` and `efsink simulate`, which must run from
 * an installed package (no dev dependencies, no child process). It speaks the REST/XML protocol of
 * the calls the demo and the tests make, path-style, on 127.0.0.1, port 0: CreateBucket, PutObject
 * (plain or aws-chunked with its trailing checksum checked), GetObject, HeadObject, ListObjectsV2
 * (prefix, MaxKeys, continuation, StartAfter). ETag is the quoted MD5 of the bytes, as S3 gives for
 * single-part uploads. Objects live in memory. It does not check signatures.
 *
 * The test suite runs the same S3 contract (test/integration/s3-server.test.ts) against this server
 * and against s3rver, an independent implementation, so the two agree on everything efsink uses.
 * Why not ship s3rver: docs/adr/0008-local-s3-for-the-demo.md.
 */
export interface LocalS3Server {
  /** `http://127.0.0.1:<port>`; use with `forcePathStyle: true`. */
  readonly endpoint: string;
  /** Stops listening and drops every object. */
  stop(): Promise<void>;
}

interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType: string;
}

/** S3's upper bound on MaxKeys. */
const MAX_KEYS = 1000;

/** Starts the server with `buckets` created. */
export async function startLocalS3Server(
  options: { buckets?: readonly string[] } = {},
): Promise<LocalS3Server> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  for (const name of options.buckets ?? []) buckets.set(name, new Map());

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(buckets, req, Buffer.concat(chunks), res);
      } catch (error) {
        send(res, 500, s3ErrorXml('InternalError', String(error)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        buckets.clear();
      });
      return stopped;
    },
  };
}

function handle(
  buckets: Map<string, Map<string, StoredObject>>,
  req: IncomingMessage,
  raw: Buffer,
  res: ServerResponse,
): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const slash = url.pathname.indexOf('/', 1);
  const bucketName = decodeURIComponent(slash < 0 ? url.pathname.slice(1) : url.pathname.slice(1, slash));
  const key = slash < 0 ? '' : decodeURIComponent(url.pathname.slice(slash + 1));
  const method = req.method ?? 'GET';
  if (bucketName === '') {
    send(res, 405, s3ErrorXml('MethodNotAllowed', 'bucket listing is not supported here'));
    return;
  }
  if (key === '' && method === 'PUT') {
    if (!buckets.has(bucketName)) buckets.set(bucketName, new Map());
    res.writeHead(200, { location: `/${bucketName}`, 'content-length': 0 });
    res.end();
    return;
  }
  const bucket = buckets.get(bucketName);
  if (bucket === undefined) {
    if (method === 'HEAD') send(res, 404, '');
    else
      send(
        res,
        404,
        s3ErrorXml('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucketName }),
      );
    return;
  }
  if (key === '' && method === 'GET') {
    listObjectsV2(bucketName, bucket, url.searchParams, res);
    return;
  }
  if (method === 'PUT') {
    let body = raw;
    if (isAwsChunked(req.headers)) {
      let decoded: ReturnType<typeof decodeAwsChunked>;
      try {
        decoded = decodeAwsChunked(raw);
      } catch (error) {
        send(res, 400, s3ErrorXml('IncompleteBody', (error as Error).message));
        return;
      }
      const mismatch = checksumMismatch(decoded.payload, decoded.trailers);
      if (mismatch !== undefined) {
        const reason = `${mismatch.name} ${mismatch.value} did not match the calculated ${mismatch.expected}`;
        send(res, 400, s3ErrorXml('BadDigest', reason));
        return;
      }
      body = decoded.payload;
    } else {
      const mismatch = checksumMismatch(body, req.headers);
      if (mismatch !== undefined) {
        send(res, 400, s3ErrorXml('BadDigest', `${mismatch.name} did not match the calculated checksum`));
        return;
      }
    }
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    const contentType = String(req.headers['content-type'] ?? 'binary/octet-stream');
    bucket.set(key, { body, etag, lastModified: new Date(), contentType });
    res.writeHead(200, { etag, 'content-length': 0 });
    res.end();
    return;
  }
  if (method === 'GET' || method === 'HEAD') {
    const object = bucket.get(key);
    if (object === undefined) {
      if (method === 'HEAD') send(res, 404, '');
      else send(res, 404, s3ErrorXml('NoSuchKey', 'The specified key does not exist.', { Key: key }));
      return;
    }
    res.writeHead(200, {
      etag: object.etag,
      'content-length': object.body.length,
      'content-type': object.contentType,
      'last-modified': object.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
    });
    res.end(method === 'HEAD' ? undefined : object.body);
    return;
  }
  send(res, 405, s3ErrorXml('MethodNotAllowed', `${method} is not supported here`));
}

function listObjectsV2(
  bucketName: string,
  bucket: Map<string, StoredObject>,
  query: URLSearchParams,
  res: ServerResponse,
): void {
  if (query.get('list-type') !== '2') {
    send(res, 400, s3ErrorXml('InvalidArgument', 'only ListObjectsV2 (list-type=2) is supported here'));
    return;
  }
  const prefix = query.get('prefix') ?? '';
  const maxKeysText = query.get('max-keys');
  const maxKeys = maxKeysText === null ? MAX_KEYS : Math.min(MAX_KEYS, Number.parseInt(maxKeysText, 10));
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 0) {
    send(
      res,
      400,
      s3ErrorXml('InvalidArgument', `max-keys must be a non-negative integer, got ${maxKeysText}`),
    );
    return;
  }
  const token = query.get('continuation-token');
  // The continuation token is the last key returned, base64url: opaque to clients, as S3's is.
  const after =
    token !== null ? Buffer.from(token, 'base64url').toString('utf8') : (query.get('start-after') ?? '');
  const keys = [...bucket.keys()]
    .filter((k) => k.startsWith(prefix) && compareUtf8(k, after) > 0)
    .sort(compareUtf8);
  const page = keys.slice(0, maxKeys);
  const truncated = keys.length > page.length;
  const contents = page
    .map((k) => {
      const o = bucket.get(k) as StoredObject;
      return (
        `<Contents><Key>${escapeXml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
        `<ETag>${escapeXml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`
      );
    })
    .join('');
  const last = page[page.length - 1];
  const next =
    truncated && last !== undefined
      ? `<NextContinuationToken>${Buffer.from(last, 'utf8').toString('base64url')}</NextContinuationToken>`
      : '';
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>${escapeXml(bucketName)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
    `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}` +
    (token === null ? '' : `<ContinuationToken>${escapeXml(token)}</ContinuationToken>`) +
    '</ListBucketResult>';
  send(res, 200, xml);
}

/** S3 lists keys in UTF-8 binary order. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function send(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

/** Credentials for the local servers: s3rver's default account checks the key id; this server none. */
export const S3_LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * An S3 client for a local server: path-style, us-east-1, fake credentials, no retries unless asked.
 *
 * @example
 * const s3 = await startLocalS3Server({ buckets: ['logs'] });
 * const client = createLocalS3Client(s3.endpoint);
 */
export function createLocalS3Client(endpoint: string, maxAttempts = 1): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_LOCAL_CREDENTIALS,
    maxAttempts,
  });
}
