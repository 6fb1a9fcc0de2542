import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  checksumMismatch,
  decodeAwsChunked,
  headersWithoutChunking,
  isAwsChunked,
  s3ErrorXml,
} from '../../src/simulate/aws-chunked.js';
import { createLocalS3Client, S3_LOCAL_CREDENTIALS } from '../../src/simulate/local-s3.js';

/** Options for {@link startS3Server}. */
export interface S3ServerOptions {
  /** Buckets created before the server answers. @default none (create them with CreateBucket) */
  readonly buckets?: readonly string[];
  /** Where s3rver keeps objects. @default a fresh temp dir, removed by stop() */
  readonly directory?: string;
  /** How long to wait for the child to listen. @default 20 s */
  readonly startTimeoutMs?: number;
  /** Drop the child's stderr (the demo's output stays clean). @default false */
  readonly quiet?: boolean;
}

/** A running S3-compatible server on 127.0.0.1. */
export interface S3Server {
  /** The child process id (s3rver runs in its own Node process). */
  readonly pid: number | undefined;
  /** `http://127.0.0.1:<port>`; use with `forcePathStyle: true`. */
  readonly endpoint: string;
  /** Directory holding the objects (s3rver's filesystem store). */
  readonly directory: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes the temp dir it made. */
  stop(): Promise<void>;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url));

/**
 * Starts s3rver (npm, real S3 REST/XML protocol: PutObject, GetObject, HeadObject, ListObjectsV2 with
 * continuation, ETag = MD5 for single-part uploads) in a child Node process on 127.0.0.1, port 0,
 * behind a loopback front in this process. The child runs with --openssl-legacy-provider (s3rver's
 * continuation tokens use DES; see s3rver-child.mjs). The front removes `aws-chunked` framing from
 * streaming uploads after checking their trailing checksum, as S3 does (src/simulate/aws-chunked.ts):
 * s3rver would store the framing verbatim.
 *
 * @example
 * const s3 = await startS3Server({ buckets: ['access-logs'] });
 * const client = createS3TestClient(s3.endpoint);
 * await client.send(new PutObjectCommand({ Bucket: 'access-logs', Key: 'a.gz', Body: bytes }));
 * await s3.stop();
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'efsink-s3-')));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', CHILD_SCRIPT], {
    stdio: ['pipe', 'pipe', options.quiet ? 'ignore' : 'inherit'],
    env: {
      ...process.env,
      EFSINK_S3_SERVER_CONFIG: JSON.stringify({ directory, buckets: options.buckets ?? [] }),
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`s3 server did not listen within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`s3 server exited before listening (code ${code}, signal ${signal})`));
      });
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        const parsed: unknown = JSON.parse(line);
        const value = (parsed as { port?: unknown }).port;
        if (typeof value === 'number' && value > 0) resolve(value);
        else reject(new Error(`s3 server sent "${line}" (expected {"port":N})`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    throw error;
  }

  const front = createServer((req, res) => frontRequest(port, req, res));
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid,
    endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    directory,
    stop() {
      stopped ??= (async () => {
        front.closeAllConnections();
        await new Promise<void>((resolve) => front.close(() => resolve()));
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(killTimer);
        }
        if (ownsDirectory) await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Forwards one request to s3rver on `backendPort`, with aws-chunked framing decoded and checked. */
function frontRequest(backendPort: number, req: IncomingMessage, res: ServerResponse): void {
  const forward = (headers: IncomingMessage['headers'], body: Buffer | undefined) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    if (body === undefined) req.pipe(upstream);
    else upstream.end(body);
  };
  const fail = (code: string, message: string) => {
    const xml = s3ErrorXml(code, message);
    res.writeHead(400, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
    res.end(xml);
  };
  if (!isAwsChunked(req.headers)) {
    forward(req.headers, undefined);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let decoded: ReturnType<typeof decodeAwsChunked>;
    try {
      decoded = decodeAwsChunked(Buffer.concat(chunks));
    } catch (error) {
      fail('IncompleteBody', (error as Error).message);
      return;
    }
    const mismatch = checksumMismatch(decoded.payload, decoded.trailers);
    if (mismatch !== undefined) {
      fail(
        'BadDigest',
        `${mismatch.name} ${mismatch.value} did not match the calculated ${mismatch.expected}`,
      );
      return;
    }
    forward(headersWithoutChunking(req.headers, decoded.payload.length), decoded.payload);
  });
}

/** The tests' names for the shared client and credentials (src/simulate/local-s3.ts). */
export { createLocalS3Client as createS3TestClient, S3_LOCAL_CREDENTIALS as S3_TEST_CREDENTIALS };
