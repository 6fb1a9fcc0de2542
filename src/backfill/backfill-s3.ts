import type { S3Client } from '@aws-sdk/client-s3';
import type { SinkConfig } from '../config/sink-config.js';
import { codeOf } from '../core/error-catalogue.js';
import { isEfsinkError } from '../core/errors.js';
import type { AssembleReport } from '../io/assemble.js';
import type { Sink } from '../io/sink.js';
import { ingestS3Object } from '../lambda/s3-sqs.js';
import type { Logger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';
import { checkpointPath } from './checkpoint.js';
import type { Pacing } from './cloudwatch-source.js';
import type { Progress } from './progress.js';
import {
  type FailedObject,
  freshS3Checkpoint,
  readS3Checkpoint,
  type S3Checkpoint,
  writeS3Checkpoint,
} from './s3-checkpoint.js';
import { listObjectsPage, pacedS3Client } from './s3-source.js';

export interface S3BackfillOptions {
  readonly bucket: string;
  readonly prefix?: string | undefined;
  /** `{logGroup}` of the output path, as `ingest s3 --log-group`. @default the delivery stream name */
  readonly logGroup?: string | undefined;
  readonly config: SinkConfig;
  readonly sink: Sink;
  /** Plain SDK client; requests are paced and retried here. */
  readonly client: S3Client;
  readonly pacing: Pacing;
  /** ListObjectsV2 MaxKeys. @default 1000 (the service's maximum) */
  readonly pageSize?: number | undefined;
  /** Run one assembly pass at the end. @default true */
  readonly assemble: boolean;
  readonly log: Logger;
  readonly progress?: Progress;
  /**
   * Lands one object; `efsink replay firehose-backup` passes its own (backup objects are error
   * records, not log objects). Same checkpointing, resumption and error isolation.
   * @default the S3 path's ingestS3Object
   */
  readonly ingestObject?: ObjectIngest;
  /** Names the checkpoint apart from other commands over the same bucket and prefix. @default 's3' */
  readonly checkpointKind?: string;
}

/** Lands one object from S3 and says what it read and wrote. */
export type ObjectIngest = (
  ref: { bucket: string; key: string; eTag?: string },
  s3: S3Client,
) => Promise<{ bytesRead: number; segmentsLanded: number; bytesWritten: number }>;

export interface S3BackfillReport {
  readonly checkpoint: S3Checkpoint;
  readonly resumed: boolean;
  /** Objects that failed in an earlier run and landed in this one. */
  readonly recovered: number;
  /** Objects that failed in an earlier run and no longer exist (NoSuchKey): dropped from the list. */
  readonly vanished: readonly string[];
  readonly assembly: AssembleReport | undefined;
}

/**
 * An error of ONE object, after which the backfill goes on with the next: the bytes are not
 * decodable or routable (DECODE_*, INPUT_*, LAYOUT_*) or S3 refused that object for a reason
 * retrying cannot fix (S3_NoSuchKey, S3_AccessDenied on a KMS key, …). Anything else — retries
 * exhausted, file-system errors, bugs — concerns every object, and stops the run (the checkpoint
 * is durable; rerunning resumes).
 */
export function objectErrorCode(err: unknown): string | undefined {
  const code = codeOf(err);
  if (isEfsinkError(err)) return /^(DECODE|INPUT|LAYOUT)_/.test(code) ? code : undefined;
  return code.startsWith('S3_') ? code : undefined;
}

/**
 * Copies a bucket's objects (under a prefix) onto EFS through the S3 path's own per-object code,
 * `ingestS3Object` (ADR 0005). Identity is the object's (bucket + key + version id, else ETag), so an
 * object the live path already landed produces the same segment name: landing it again is a no-op,
 * and once assembled, the journal skips the name forever. The checkpoint moves after each object is
 * durable; a killed run lists again with `StartAfter` = the last key handled. Objects that failed
 * are recorded and retried first by the next run.
 */
export async function backfillS3(opts: S3BackfillOptions): Promise<S3BackfillReport> {
  const { sink, config, log } = opts;
  const layout = sink.layout;
  const args = {
    source: opts.checkpointKind ?? 's3',
    bucket: opts.bucket,
    prefix: opts.prefix ?? '',
    logGroup: opts.logGroup ?? '',
    pathTemplate: config.template.source,
  };
  const ckPath = checkpointPath(layout, args);
  const existing = await readS3Checkpoint(ckPath);
  let ck: S3Checkpoint = existing ?? freshS3Checkpoint(args);
  const resumed = existing !== undefined;
  if (resumed)
    log.info(
      { checkpoint: ckPath, startAfter: ck.startAfter, failed: ck.failed.length },
      'resuming backfill',
    );

  const s3 = pacedS3Client(opts.client, opts.pacing);
  const deps = { config, sink, s3, log, metrics: noMetrics, logGroup: opts.logGroup };
  const ingest: ObjectIngest = opts.ingestObject ?? ((ref) => ingestS3Object(ref, deps));
  const save = async (next: S3Checkpoint) => {
    await writeS3Checkpoint(layout, ckPath, next);
    ck = next;
    opts.progress?.update({
      events: ck.objectsRead,
      bytes: ck.bytesLanded,
      fraction: undefined,
      detail: `(${ck.pages} pages, ${ck.objectsAlreadyPresent} already on EFS, ${ck.failed.length} failed)`,
    });
  };
  /** Lands one object; resolves to how it went, or throws when the whole run must stop. */
  const one = async (key: string, eTag?: string) => {
    try {
      const r = await ingest({ bucket: opts.bucket, key, ...(eTag ? { eTag } : {}) }, s3);
      return { ok: true as const, r };
    } catch (err) {
      const code = objectErrorCode(err);
      if (code === undefined) throw err;
      const message = (err as Error)?.message ?? String(err);
      log.warn({ key, code, err: message }, 'object failed; continuing');
      return { ok: false as const, failure: { key, code, message } satisfies FailedObject };
    }
  };
  const counted = (c: S3Checkpoint, r: Awaited<ReturnType<ObjectIngest>>) => ({
    objectsRead: c.objectsRead + 1,
    objectsLanded: c.objectsLanded + (r.segmentsLanded > 0 ? 1 : 0),
    objectsAlreadyPresent: c.objectsAlreadyPresent + (r.segmentsLanded === 0 ? 1 : 0),
    bytesRead: c.bytesRead + r.bytesRead,
    bytesLanded: c.bytesLanded + r.bytesWritten,
  });

  // 1. Objects that failed in earlier runs (the cursor is past them).
  let recovered = 0;
  const vanished: string[] = [];
  for (const f of [...ck.failed]) {
    const res = await one(f.key);
    const others = ck.failed.filter((x) => x.key !== f.key);
    if (res.ok) {
      recovered++;
      await save({ ...ck, ...counted(ck, res.r), failed: others });
    } else if (res.failure.code === 'S3_NoSuchKey') {
      vanished.push(f.key);
      await save({ ...ck, failed: others });
    } else {
      await save({ ...ck, failed: [...others, res.failure] });
    }
  }

  // 2. The listing, after the last key handled.
  let token: string | undefined;
  for (;;) {
    // The plain client: listObjectsPage paces and retries itself.
    const page = await listObjectsPage(
      opts.client,
      { bucket: opts.bucket, prefix: opts.prefix, startAfter: ck.startAfter, token, pageSize: opts.pageSize },
      opts.pacing,
    );
    for (const o of page.objects) {
      const res = await one(o.key, o.eTag);
      await save(
        res.ok
          ? { ...ck, ...counted(ck, res.r), startAfter: o.key }
          : {
              ...ck,
              objectsRead: ck.objectsRead + 1,
              startAfter: o.key,
              failed: [...ck.failed.filter((x) => x.key !== o.key), res.failure],
            },
      );
    }
    token = page.nextToken;
    const last = token === undefined;
    await save({ ...ck, pages: ck.pages + 1, done: ck.done || last });
    if (last) break;
  }
  const assembly = opts.assemble ? await sink.assemble() : undefined;
  return { checkpoint: ck, resumed, recovered, vanished, assembly };
}
