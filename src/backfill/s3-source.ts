import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { SinkConfig } from '../config/sink-config.js';
import { EfsinkError, isEfsinkError } from '../core/errors.js';
import { readS3ObjectPlan } from '../lambda/s3-sqs.js';
import type { Pacing } from './cloudwatch-source.js';
import { BackfillErrorCode } from './errors.js';
import { sendWithRetry } from './retry.js';

export interface S3SourceOptions {
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** SDK attempts per request. @default 1: {@link pacedS3Client} paces and retries instead. */
  readonly maxAttempts?: number;
}

/**
 * The real SDK v3 S3 client with the standard credential chain. Region from `--region` (or
 * AWS_REGION), else the SDK's own chain (AWS_REGION, the profile in ~/.aws/config, IMDS): no default
 * of ours, so a Region set in ~/.aws/config is honoured. An endpoint (an S3-compatible server) gets
 * path-style requests. SDK retries are off by default: {@link pacedS3Client} paces and retries
 * every request (ListObjectsV2 and the S3 path's GetObject alike).
 */
export function createS3Client(opts: S3SourceOptions): S3Client {
  return new S3Client({
    maxAttempts: opts.maxAttempts ?? 1,
    ...(opts.region !== undefined ? { region: opts.region } : {}),
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
  });
}

/**
 * An S3Client whose `send` takes a rate-limit token and retries throttling (SlowDown, 503), 5xx and
 * network errors with full jitter ({@link sendWithRetry}). Non-retryable errors are rethrown AS THEY
 * CAME (not wrapped in SOURCE_REQUEST_FAILED), so the S3 path's own code mapping (`S3_NoSuchKey`, …)
 * still applies; exhausted retries throw SOURCE_RETRIES_EXHAUSTED.
 */
export function pacedS3Client(client: S3Client, pacing: Pacing): S3Client {
  const send = async (command: unknown): Promise<unknown> => {
    const name = (command as { constructor?: { name?: string } })?.constructor?.name ?? 'S3 request';
    const input = (command as { input?: { Bucket?: string; Key?: string; Prefix?: string } }).input;
    const what = `${name.replace(/Command$/, '')} s3://${input?.Bucket ?? ''}/${input?.Key ?? input?.Prefix ?? ''}`;
    try {
      return await sendWithRetry(
        what,
        () => (client.send as (c: unknown) => Promise<unknown>)(command),
        pacing.limiter,
        pacing.retry,
      );
    } catch (err) {
      if (isEfsinkError(err) && err.code === BackfillErrorCode.sourceFailed && err.cause !== undefined)
        throw err.cause;
      throw err;
    }
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'send') return send;
      return Reflect.get(target, prop, receiver);
    },
  });
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly eTag: string | undefined;
}

export interface ListPage {
  readonly objects: ListedObject[];
  /** Keys ending in `/` ("folders" made by the console) that were skipped. */
  readonly directories: number;
  readonly nextToken: string | undefined;
}

/** One ListObjectsV2 page (paced and retried; a non-retryable failure throws SOURCE_REQUEST_FAILED). */
export async function listObjectsPage(
  client: S3Client,
  q: {
    bucket: string;
    prefix?: string | undefined;
    startAfter?: string | undefined;
    token?: string | undefined;
    pageSize?: number | undefined;
  },
  pacing: Pacing,
): Promise<ListPage> {
  const out = await sendWithRetry(
    `ListObjectsV2 s3://${q.bucket}/${q.prefix ?? ''}`,
    () =>
      client.send(
        new ListObjectsV2Command({
          Bucket: q.bucket,
          ...(q.prefix ? { Prefix: q.prefix } : {}),
          ...(q.token !== undefined
            ? { ContinuationToken: q.token }
            : q.startAfter !== undefined
              ? { StartAfter: q.startAfter }
              : {}),
          ...(q.pageSize !== undefined ? { MaxKeys: q.pageSize } : {}),
        }),
      ),
    pacing.limiter,
    pacing.retry,
  );
  const objects: ListedObject[] = [];
  let directories = 0;
  for (const o of out.Contents ?? []) {
    if (o.Key === undefined) continue;
    if (o.Key.endsWith('/')) {
      directories++;
      continue;
    }
    objects.push({ key: o.Key, size: o.Size ?? 0, eTag: o.ETag });
  }
  // S3 sets IsTruncated with a NextContinuationToken; stop only when the listing says it is complete.
  const token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
  if (out.IsTruncated === true && !token) {
    throw new EfsinkError(
      BackfillErrorCode.sourceFailed,
      `ListObjectsV2 s3://${q.bucket}/${q.prefix ?? ''}: truncated listing without NextContinuationToken`,
    );
  }
  return { objects, directories, nextToken: token };
}

/** What verify compares for one object: the output file and the bytes exactly as the writer lands them. */
export interface FramedObject {
  readonly relPath: string;
  readonly framed: Buffer;
  readonly bytesRead: number;
}

/**
 * Reads one object exactly as the S3 path's ingest does (`readS3ObjectPlan`, src/lambda/s3-sqs.ts:
 * GetObject, the size cap, gunzip, hour from the Firehose object name else LastModified, the writer's
 * own `planFirehoseObject`), so routing and framing (one object = one entry, a `\n` added only when
 * missing) are the writer's, not a copy.
 */
export async function readFramedObject(
  client: S3Client,
  bucket: string,
  key: string,
  config: Pick<SinkConfig, 'maxDecompressedBytes' | 'template'>,
  logGroup: string | undefined,
): Promise<FramedObject> {
  const { plan, bytesRead } = await readS3ObjectPlan(client, { bucket, key }, config, logGroup);
  const seg = plan.segments[0];
  if (seg === undefined || plan.segments.length !== 1)
    throw new Error(`planFirehoseObject returned ${plan.segments.length} segments for one object`);
  return { relPath: seg.relPath, framed: Buffer.from(seg.bytes), bytesRead };
}
