import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';

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

/** Credentials s3rver's default account knows (it checks the key id, not the SigV4 signature). */
export const S3_LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * The child script lives beside this file in src/simulate; from the compiled dist/src/simulate it
 * is found by walking up to the package root (tsc does not copy .mjs files).
 */
function childScript(): string {
  const beside = fileURLToPath(new URL('./s3-server-child.mjs', import.meta.url));
  if (existsSync(beside)) return beside;
  let dir = dirname(beside);
  for (;;) {
    const candidate = join(dir, 'src', 'simulate', 's3-server-child.mjs');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return beside;
    dir = parent;
  }
}

/**
 * Starts s3rver (npm, real S3 REST/XML protocol: PutObject, GetObject, HeadObject, ListObjectsV2 with
 * continuation, ETag = MD5 for single-part uploads) in a child Node process on 127.0.0.1, port 0.
 * The child runs with --openssl-legacy-provider (s3rver's continuation tokens use DES) and strips
 * `aws-chunked` framing from streaming uploads (see s3-server-child.mjs).
 *
 * @example
 * const s3 = await startS3Server({ buckets: ['access-logs'] });
 * const client = createLocalS3Client(s3.endpoint);
 * await client.send(new PutObjectCommand({ Bucket: 'access-logs', Key: 'a.gz', Body: bytes }));
 * await s3.stop();
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'efsink-s3-')));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', childScript()], {
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

  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid,
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    stop() {
      stopped ??= (async () => {
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

/**
 * An S3 client for {@link startS3Server}: path-style, us-east-1, fake credentials, no retries unless asked.
 *
 * @example
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
